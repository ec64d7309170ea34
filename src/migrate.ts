// `npm run migrate`: applies the migrations to DATABASE_URL (or the embedded database) and exits.
import { loadConfig } from "./config.js";
import { openDatabase } from "./db/open.js";
import { fail } from "./fail.js";

openDatabase(loadConfig())
  .then(async (database) => {
    await database.close();
    console.log("jobgraph: the database is up to date");
  })
  .catch(fail);
