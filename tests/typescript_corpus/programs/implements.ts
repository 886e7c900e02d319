interface Named { name(): string }
interface Aged { age: number }
class Person implements Named, Aged {
  age: number;
  constructor(private_name: string, age: number) {
    this.n = private_name;
    this.age = age;
  }
  n: string;
  name(): string { return this.n; }
}
const people: Named[] = [new Person("Ann", 30), new Person("Bo", 4)];
export default people.map(p => p.name());
