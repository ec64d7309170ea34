// Operation names as metric labels. A name is whatever a client wrote, and every distinct label
// value is a series that Prometheus keeps, so a name is admitted only once a document carrying it
// has passed validation (garbage never does), and only so many distinct names: the rest share one
// label, as do names too long for a dashboard (a name can be as long as the body limit allows, and
// each admitted one is kept for good). The query text and the URL never become labels.
import { getOperationAST, type DocumentNode } from "graphql";

/** Distinct operation names one process reports; well above what a real set of clients sends. */
export const MAX_OPERATION_NAMES = 200;

/** The longest name reported; longer ones are "other". */
export const MAX_OPERATION_NAME_LENGTH = 100;

export type OperationLabelValues = { operationName: string; operationType: string };

const INVALID: OperationLabelValues = { operationName: "invalid", operationType: "unknown" };

export class OperationLabels {
  private readonly valid = new WeakSet<DocumentNode>();
  private readonly names = new Set<string>();
  private readonly known = new WeakMap<DocumentNode, Map<string | undefined, OperationLabelValues>>();

  constructor(private readonly maxNames = MAX_OPERATION_NAMES) {}

  /** Called when a document passed validation (yoga caches documents, so this is once per text). */
  validated(document: DocumentNode): void {
    this.valid.add(document);
  }

  of(document: DocumentNode | undefined, operationName: string | null | undefined): OperationLabelValues {
    if (!document || !this.valid.has(document)) return INVALID;
    // Asked for several times a request (once per metric), for the same few documents.
    let byName = this.known.get(document);
    if (!byName) this.known.set(document, (byName = new Map()));
    let labels = byName.get(operationName ?? undefined);
    if (!labels) {
      const operation = getOperationAST(document, operationName ?? undefined);
      const name = operation?.name?.value;
      labels = operation ? { operationName: name ? this.admit(name) : "anonymous", operationType: operation.operation } : INVALID;
      byName.set(operationName ?? undefined, labels);
    }
    return labels;
  }

  private admit(name: string): string {
    if (this.names.has(name)) return name;
    if (this.names.size >= this.maxNames || name.length > MAX_OPERATION_NAME_LENGTH) return "other";
    this.names.add(name);
    return name;
  }
}
