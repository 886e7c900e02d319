type Config = Record<string, number | string>;
const config = { port: 8080, host: "local" } satisfies Config;
const modes = ["a", "b", "c"] as const;
export default { port: config.port + 1, host: config.host, modes };
