class Registry {
  private static instances: Map<string, Registry> = new Map();
  private constructor(readonly_key: string) { this.key = readonly_key; }
  key: string;
  static get(key: string): Registry {
    let r = Registry.instances.get(key);
    if (!r) { r = new Registry(key); Registry.instances.set(key, r); }
    return r;
  }
  static get count(): number { return Registry.instances.size; }
}
Registry.get("a"); Registry.get("b"); Registry.get("a");
export default [Registry.count, Registry.get("b").key];
