/** A small least-recently-used map: workers hold a few test sets and models, not a whole study's. */
export class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number) {}
  async get(key: string, make: () => Promise<V>): Promise<V> {
    let v = this.map.get(key);
    if (v !== undefined) this.map.delete(key);
    else v = await make();
    this.map.set(key, v);
    while (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
    return v;
  }
}
