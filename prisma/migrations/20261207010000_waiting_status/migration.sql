-- The values workflows need, in a migration of their own: PostgreSQL will not let a transaction
-- use an enum value it added.
CREATE TYPE "DependencyFailurePolicy" AS ENUM ('CANCEL', 'WAIT');

ALTER TYPE "JobStatus" ADD VALUE 'WAITING' BEFORE 'QUEUED';

ALTER TYPE "JobEventKind" ADD VALUE 'DEPENDENCIES_MET';
ALTER TYPE "JobEventKind" ADD VALUE 'DEPENDENCY_RESET';
