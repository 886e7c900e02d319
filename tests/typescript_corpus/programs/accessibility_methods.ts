class Account {
  private balance = 0
  public deposit(n: number): void { this.balance += n }
  protected fee(): number { return 1 }
  public withdraw(n: number): boolean {
    if (n + this.fee() > this.balance) return false
    this.balance -= n + this.fee()
    return true
  }
  public get current(): number { return this.balance }
}
const a = new Account()
a.deposit(10)
export default [a.withdraw(5), a.withdraw(20), a.current]
