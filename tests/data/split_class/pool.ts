export default class ConnectionPool {
  size: number
  readonly idle: Connection[] = []
  readonly busy: Set<Connection> = new Set()
  private readonly limits: PoolLimits

  constructor(size: number, limits: PoolLimits) {
    this.size = size
    this.limits = limits
    for (let i = 0; i < size; i++) {
      this.idle.push(new Connection(i))
    }
  }

  acquire(): Connection {
    const connection = this.idle.pop()
    if (connection === undefined) {
      throw new Error("no idle connection in the pool")
    }
    this.busy.add(connection)
    return connection
  }

  // release a connection back to the pool
  release(connection: Connection): void
  release(connection: Connection, broken: boolean): void
  release(connection: Connection, broken?: boolean): void {
    this.busy.delete(connection)
    if (!broken) {
      this.idle.push(connection)
    }
  }
}
