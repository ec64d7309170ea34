// `npm run seed`: fills an empty database with the demo data the playground's examples show.
import { loadConfig } from "./config.js";
import { createDb } from "./db/client.js";
import { openDatabase } from "./db/open.js";
import { SeedRefusedError, seedDemoData } from "./db/seed.js";
import { fail } from "./fail.js";

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config);
  const db = createDb({ url: database.url, poolSize: 2, pooled: database.pooled });
  try {
    const summary = await seedDemoData(db, { outputStore: config.outputStore });
    console.log(
      `jobgraph: demo data added: ${Object.entries(summary)
        .map(([what, n]) => `${n} ${what}`)
        .join(", ")}`,
    );
  } catch (error) {
    if (!(error instanceof SeedRefusedError)) throw error;
    console.log(`jobgraph: ${error.message}; nothing added`);
  } finally {
    await db.$disconnect();
    await database.close();
  }
}

main().catch(fail);
