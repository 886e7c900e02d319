function greet(name: string, greeting?: string, punct: string = "!"): string {
  return `${greeting ?? "Hello"}, ${name}${punct}`;
}
const shout = (s: string, times?: number) => s.repeat(times ?? 1);
export default [greet("Ann"), greet("Bob", "Hi", "?"), shout("ab", 3)];
