let later!: number;
function init(): void { later = 12; }
init();
class Lazy {
  value!: string;
  optional?: number;
  setup(): this { this.value = "ready"; return this; }
}
const l = new Lazy().setup();
export default [later, l.value, l.optional ?? null, Object.keys(l).sort()];
