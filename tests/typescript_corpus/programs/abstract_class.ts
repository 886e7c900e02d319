abstract class Animal {
  abstract sound(): string;
  abstract readonly legs: number;
  describe(): string { return `${this.sound()} on ${this.legs} legs`; }
}
class Dog extends Animal {
  legs = 4;
  sound(): string { return "woof"; }
}
class Bird extends Animal {
  override legs = 2;
  override sound() { return "tweet"; }
}
export default [new Dog().describe(), new Bird().describe()];
