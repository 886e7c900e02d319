class Box {
  size = 2
  public ["computed"] = 3
  declare hidden: number
  private ["other"] = 4
  static readonly ["k"] = 5;
  *gen() { yield this.size }
}
const b = new Box()
export default [b.size, b["computed"], b["other"], Box["k"], [...b.gen()], "hidden" in b]
