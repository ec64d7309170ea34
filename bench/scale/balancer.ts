// A round-robin TCP balancer, as HAProxy's `mode tcp` or nginx's `stream` module: each connection
// goes to the next gateway in turn, and carries whatever it carries (HTTP requests kept alive,
// WebSockets, server-sent events) to that gateway alone. Run as a process of its own, so that its
// CPU is counted apart from the benchmark's clients:
//
//   node --import tsx bench/scale/balancer.ts PORT TARGET_PORT...
//
// It prints "ready" once it listens.
import net from "node:net";

const [listenPort, ...targets] = process.argv.slice(2).map(Number);
if (!listenPort || !targets.length) throw new Error("usage: balancer.ts PORT TARGET_PORT...");
let next = 0;

const server = net.createServer((client) => {
  const port = targets[next]!;
  next = (next + 1) % targets.length;
  const upstream = net.connect({ host: "127.0.0.1", port });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
  client.on("close", close);
  upstream.on("close", close);
});
server.listen(listenPort, "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => process.exit(0));
