/** Open connections per source address, for the per-source limit (scenario broker.connections.perSource). */
export class SourceConnections {
  readonly #open = new Map<string, number>();
  readonly #limit: number | undefined;

  constructor(limit: number | undefined) {
    this.#limit = limit;
  }

  /** Counts a new connection from `source` if there is room; false: it is one too many. */
  open(source: string): boolean {
    const open = this.#open.get(source) ?? 0;
    if (this.#limit !== undefined && open >= this.#limit) return false;
    this.#open.set(source, open + 1);
    return true;
  }

  close(source: string): void {
    const open = (this.#open.get(source) ?? 0) - 1;
    if (open > 0) this.#open.set(source, open);
    else this.#open.delete(source);
  }
}
