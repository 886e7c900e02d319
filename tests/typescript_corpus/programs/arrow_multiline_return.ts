let f = (a: string, b: string): Array<
   string
> => [a, b];
const g = (n: number): {
  doubled: number;
  label: string;
} => ({ doubled: n * 2, label: `n=${n}` });
export default [f("x", "y"), g(21)];
