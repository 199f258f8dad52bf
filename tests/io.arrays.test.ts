/** .npy and .safetensors reading and writing, against files written by the reference tools. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMatrix } from "../src/io/arrays.js";
import { encodeNpy, parseNpy, writeNpy } from "../src/io/npy.js";
import { CHECKSUM_KEY, parseSafetensors, readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import { sharedPath } from "./helpers/shared.js";

const tmp = mkdtempSync(join(tmpdir(), "brainscore-io-"));

/** Builds a .npy file byte by byte, as numpy would, with any header. */
function npyBytes(header: string, body: Uint8Array): Uint8Array {
  const padded = header + " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
  const head = new Uint8Array(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, padded.length, true);
  return Buffer.concat([head, Buffer.from(padded, "latin1"), body]);
}

describe(".npy", () => {
  it("round-trips float32 and float64 in C order", () => {
    for (const data of [new Float32Array([1, 2.5, -3, 4, 5, 6]), new Float64Array([1e-300, 2, 3, 4, 5, Math.PI])]) {
      const path = join(tmp, "a.npy");
      writeNpy(path, { shape: [2, 3], data });
      const back = loadMatrix(path);
      expect(back.rows).toBe(2);
      expect(back.cols).toBe(3);
      expect(Array.from(back.data)).toEqual(Array.from(data));
      expect(back.data.constructor).toBe(data.constructor);
    }
  });

  it("aligns the data to 64 bytes like numpy", () => {
    const [head, header] = encodeNpy({ shape: [5], data: new Float64Array(5) });
    expect((head.length + header.length) % 64).toBe(0);
  });

  it("reads big-endian data", () => {
    const body = new Uint8Array(16);
    new DataView(body.buffer).setFloat64(0, 1.5, false);
    new DataView(body.buffer).setFloat64(8, -2.25, false);
    const arr = parseNpy(npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", body));
    expect(Array.from(arr.data)).toEqual([1.5, -2.25]);
  });

  it.each([
    ["Fortran order", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 1), }", 16, /Fortran order/],
    ["an integer dtype", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16, /unsupported dtype '<i8'/],
    ["a short body", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 20, /holds 20/],
    ["a malformed header", "{'descr': '<f4'}", 0, /malformed/],
  ])("refuses %s with the file name", (_what, header, size, message) => {
    const path = join(tmp, "bad.npy");
    writeFileSync(path, npyBytes(header, new Uint8Array(size)));
    expect(() => loadMatrix(path)).toThrow(new RegExp(`bad\\.npy: .*${message.source}`));
  });

  it("refuses files that are not .npy", () => {
    const path = join(tmp, "text.npy");
    writeFileSync(path, "hello world");
    expect(() => loadMatrix(path)).toThrow(/text\.npy: not a \.npy file/);
    expect(() => loadMatrix(join(tmp, "missing.npy"))).toThrow(/missing\.npy: cannot read \(ENOENT\)/);
    expect(() => loadMatrix(join(tmp, "x.csv"))).toThrow(/unsupported file type/);
  });
});

describe(".safetensors", () => {
  it("reads the reference files written by the official library", () => {
    const file = readSafetensors(sharedPath("reference/ridge/reference.safetensors"));
    const x = file.tensors.get("X")!;
    expect(x.dtype).toBe("F64");
    expect(x.shape).toEqual([240, 30]);
    expect(file.tensors.get("fold_id")!.dtype).toBe("I64");
    expect(Object.keys(file.metadata).length).toBeGreaterThan(0);
  });

  it("selects a tensor with file:name and explains what is available", () => {
    const path = sharedPath("reference/ridge/reference.safetensors");
    expect(loadMatrix(`${path}:Y`).cols).toBe(400);
    expect(loadMatrix(`${path}:snr`).rows).toBe(400);
    expect(() => loadMatrix(path)).toThrow(/holds \d+ tensors .*name one as/);
    expect(() => loadMatrix(`${path}:nope`)).toThrow(/no tensor named "nope"/);
    expect(() => loadMatrix(`${path}:fold_id`)).toThrow(/unsupported dtype I64/);
  });

  it("round-trips with metadata and an 8-byte-aligned data section", () => {
    const path = join(tmp, "t.safetensors");
    writeSafetensors(
      path,
      {
        a: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
        b: { shape: [3], data: new Uint8Array([0, 1, 2]) },
      },
      { k: "v" },
    );
    const bytes = readFileSync(path);
    expect((8 + Number(bytes.readBigUInt64LE(0))) % 8).toBe(0);
    const back = readSafetensors(path);
    expect(Array.from(back.tensors.get("a")!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(back.tensors.get("b")!.dtype).toBe("U8");
    expect(back.metadata).toEqual({ k: "v", [CHECKSUM_KEY]: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("refuses a written file whose tensor bytes changed after writing (same size), naming it", () => {
    const path = join(tmp, "c.safetensors");
    writeSafetensors(path, { a: { shape: [4], data: new Float64Array([1, 2, 3, 4]) } });
    const bytes = readFileSync(path);
    bytes.writeDoubleLE(-3.7e238, bytes.length - 16);
    writeFileSync(path, bytes);
    expect(() => readSafetensors(path)).toThrow(
      /c\.safetensors: its tensor data does not match the checksum written with it/,
    );
  });

  it("rejects truncated and corrupt files with the file name", () => {
    const bytes = readFileSync(sharedPath("reference/ridge/reference.safetensors"));
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 100), "cut.safetensors")).toThrow(
      /cut\.safetensors: .*truncated/,
    );
    expect(() => parseSafetensors(bytes.subarray(0, 5), "tiny.safetensors")).toThrow(/too short/);
    const broken = Uint8Array.from(bytes.subarray(0, 200));
    broken[10] = 0x7b; // corrupt the JSON
    broken[11] = 0x7b;
    expect(() => parseSafetensors(broken, "bad.safetensors")).toThrow(/bad\.safetensors: /);
  });
});
