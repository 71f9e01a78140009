// glibc's huge-page tunable in the environment of the processes the project starts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  HUGE_PAGES_TUNABLE,
  hugePagesRequested,
  transparentHugePageMode,
  withHugePages,
  withoutHugePages,
} from "../../lib/runtime/huge-pages";

test("withHugePages adds the tunable, after any the user set; keeps a hugetlb setting of the user's; CROSSBAR_LAB_HUGE_PAGES=0 leaves the environment alone", () => {
  assert.equal(withHugePages({ PATH: "/bin" }).GLIBC_TUNABLES, HUGE_PAGES_TUNABLE);
  assert.equal(withHugePages({}).PATH, undefined);
  assert.equal(
    withHugePages({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2" }).GLIBC_TUNABLES,
    `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`,
  );
  const own = { GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" };
  assert.equal(withHugePages(own), own, "the user's hugetlb choice stands (same object: nothing to restart for)");
  const off = { CROSSBAR_LAB_HUGE_PAGES: "0" };
  assert.equal(withHugePages(off), off);
  const base = { GLIBC_TUNABLES: "x=1" };
  withHugePages(base);
  assert.deepEqual(base, { GLIBC_TUNABLES: "x=1" }, "the given environment is not changed");
});

test("withoutHugePages removes only the tunable and turns the project's own setting off; hugePagesRequested reads the environment", () => {
  assert.deepEqual(withoutHugePages({ GLIBC_TUNABLES: `a=1:${HUGE_PAGES_TUNABLE}:b=2`, PATH: "/bin" }), {
    GLIBC_TUNABLES: "a=1:b=2",
    PATH: "/bin",
    CROSSBAR_LAB_HUGE_PAGES: "0",
  });
  assert.deepEqual(withoutHugePages({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE }), { CROSSBAR_LAB_HUGE_PAGES: "0" });
  assert.equal(hugePagesRequested(withHugePages({})), true);
  assert.equal(hugePagesRequested(withoutHugePages(withHugePages({}))), false);
  assert.equal(hugePagesRequested({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=0" }), false);
  assert.equal(hugePagesRequested({ GLIBC_TUNABLES: "glibc.malloc.hugetlb=10" }), false);
  assert.equal(hugePagesRequested({ GLIBC_TUNABLES: `a=1:${HUGE_PAGES_TUNABLE}` }), true);
});

test("transparentHugePageMode reads the bracketed mode, null where the file is missing", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "thp-"));
  const f = path.join(dir, "enabled");
  fs.writeFileSync(f, "always [madvise] never\n");
  assert.equal(transparentHugePageMode(f), "madvise");
  assert.equal(transparentHugePageMode(path.join(dir, "missing")), null);
  fs.rmSync(dir, { recursive: true });
});
