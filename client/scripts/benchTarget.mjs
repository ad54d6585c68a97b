// Shared by the side-by-side scripts (syncBench.mjs, joinBench.mjs): start
// Pairpad's binary (GET /sync open, SQLite in a temp folder) or
// @automerge/automerge-repo-sync-server on a free loopback port, pinned to
// one core, and read its CPU and memory from /proc.
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { binaryPath, freePort, until } from "../conformance/harness.mjs"

const here = path.dirname(fileURLToPath(import.meta.url))
const TICKS = 100 // clock ticks per second (getconf CLK_TCK on Linux)

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(f[11]) + Number(f[12])) / TICKS
}

/** Resident memory in MB (one decimal). */
export function rssMB(pid) {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/)
  return Math.round(Number(m[1]) / 102.4) / 10
}

/**
 * Starts target ("pairpad" or "reference") pinned to core `cpu`; `env` adds settings.
 * Returns its sync URL (Pairpad's /sync, the reference's /), HTTP base, port, pid and stop().
 */
export async function startTarget(target, { cpu = "0", env = {} } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pairpad-bench-"))
  const port = await freePort()
  let args, extra
  if (target === "pairpad") {
    args = ["-c", cpu, binaryPath()]
    extra = { ADDR: `127.0.0.1:${port}`, DATABASE_URL: `sqlite:${path.join(dir, "bench.db")}`, LOG_LEVEL: "warn", CLIENT_DIR: dir,
      ACCESS: "open", SYNC_ENDPOINT: "open", MAX_CONNS: "0", MAX_CONNS_PER_IP: "0", FLUSH_INTERVAL: "60s" }
  } else if (target === "reference") {
    const index = path.resolve(here, "../../bench/reference/node_modules/@automerge/automerge-repo-sync-server/src/index.js")
    if (!existsSync(index)) throw new Error(`reference server not installed: run "npm ci" in bench/reference (${index})`)
    args = ["-c", cpu, process.execPath, index]
    extra = { PORT: String(port), DATA_DIR: path.join(dir, "data") }
  } else {
    throw new Error(`TARGET must be pairpad or reference, not ${JSON.stringify(target)}`)
  }
  // taskset execs the server, so proc.pid is the server's own pid.
  const proc = spawn("taskset", args, { cwd: dir, env: { ...process.env, ...extra, ...env }, stdio: ["ignore", "inherit", "inherit"] })
  const base = `http://127.0.0.1:${port}`
  await until(`${target} listening on ${port}`, async () => {
    if (proc.exitCode !== null) throw new Error(`${target} exited with ${proc.exitCode}`)
    return fetch(base + (target === "pairpad" ? "/readyz" : "/")).then(r => r.ok, () => false)
  }, 20000)
  return {
    target, base, port, pid: proc.pid,
    url: target === "pairpad" ? `ws://127.0.0.1:${port}/sync` : `ws://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM")
        await new Promise(r => proc.once("exit", r))
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
