class Counter {
  private count: number = 0;
  public readonly name: string;
  protected step = 1;
  static created: number = 0;
  constructor(name: string) {
    this.name = name;
    Counter.created++;
  }
  increment(by?: number): this {
    this.count += by ?? this.step;
    return this;
  }
  get value(): number { return this.count; }
}
const c = new Counter("c").increment().increment(5);
new Counter("d");
export default { name: c.name, value: c.value, created: Counter.created };
