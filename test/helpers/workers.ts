// How many test files run at once, and which PostgreSQL server a file's databases live on.
//
// Files run side by side (most of their time is spent waiting on PostgreSQL and on processes they
// start), but not on one server: the event tail reads up to the oldest transaction running on the
// whole server, so a file that holds a transaction open would hold back the events of every file
// beside it. Each worker gets an embedded server of its own; on a server given by
// TEST_DATABASE_URL, files run one at a time.
import os from "node:os";

export const testWorkers = process.env.TEST_DATABASE_URL ? 1 : Math.max(2, os.availableParallelism() - 1);
