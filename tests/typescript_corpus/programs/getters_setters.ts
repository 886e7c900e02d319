class Temp {
  #celsius: number = 0;
  get fahrenheit(): number { return this.#celsius * 9 / 5 + 32; }
  set fahrenheit(f: number) { this.#celsius = (f - 32) * 5 / 9; }
  static from(c: number): Temp { const t = new Temp(); t.#celsius = c; return t; }
}
const t = Temp.from(100);
const u = new Temp();
u.fahrenheit = 212;
export default [t.fahrenheit, u.fahrenheit];
