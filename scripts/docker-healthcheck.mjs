// The Docker HEALTHCHECK of the cv-pipeline image (Dockerfile): GET /healthz of `cv-pipeline serve`
// and exit 0 on 200, 1 otherwise. Plain Node, no dependencies, because slim images have no curl.
//
// Where `serve` listens comes from the same variables it reads: DASHBOARD_PORT (default 3000) and
// DASHBOARD_HOST (default 0.0.0.0, i.e. every interface, so the probe asks 127.0.0.1). A port given
// with `serve --port` is invisible here: in a container set DASHBOARD_PORT instead.
import { get } from 'node:http';

const TIMEOUT_MS = 4000; // under the HEALTHCHECK's --timeout=5s, so the probe reports why it failed

const port = Number(process.env.DASHBOARD_PORT || 3000);
const configured = process.env.DASHBOARD_HOST;
const host = !configured || configured === '0.0.0.0' || configured === '::' ? '127.0.0.1' : configured;

function fail(message) {
  // Docker keeps the probe's output in `docker inspect --format '{{json .State.Health}}' CONTAINER`.
  console.error(`healthcheck: http://${host}:${port}/healthz ${message}`);
  process.exit(1);
}

const request = get({ host, port, path: '/healthz', timeout: TIMEOUT_MS }, (response) => {
  response.resume();
  if (response.statusCode === 200) process.exit(0);
  fail(`answered ${response.statusCode}`);
});
request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
request.on('error', (err) => fail(err.message));
