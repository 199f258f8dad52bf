#!/usr/bin/env node
// The tslab kernel, started with its sockets bound before any is read or written.
// tslab 1.0.22 starts its receive loops and binds its five sockets all at once; a kernel_info request that
// arrives while a bind is still pending makes zeromq 6 throw EBUSY ("Socket is blocked by a bind or unbind
// operation"), the kernel never answers and nbconvert gives up after 60 s (seen once in CI). Same steps as
// tslab's ZmqServer.init, in a safe order: bind every socket, then serve.
"use strict";
const fs = require("node:fs");
const { ZmqServer } = require("tslab/dist/jupyter.js");

/** Feeds each message of a socket to a handler until the socket closes. */
async function serve(sock, handle) {
  for await (const msgs of sock) handle(msgs);
}

ZmqServer.prototype.init = async function init() {
  const cinfo = JSON.parse(fs.readFileSync(this.configPath, "utf-8"));
  this.connInfo = cinfo;
  const zmq = require("zeromq");
  this.iopub = new zmq.Publisher();
  this.shell = new zmq.Router();
  this.control = new zmq.Router();
  this.stdin = new zmq.Router();
  this.hb = new zmq.Reply();
  await this.bindSocket(this.iopub, cinfo.iopub_port);
  await this.bindSocket(this.shell, cinfo.shell_port);
  await this.bindSocket(this.control, cinfo.control_port);
  await this.bindSocket(this.stdin, cinfo.stdin_port);
  await this.bindSocket(this.hb, cinfo.hb_port);
  const report = (err) => console.error("tslab-kernel: socket loop ended:", err);
  serve(this.shell, (msgs) => this.handleShellMessage(this.shell, ...msgs)).catch(report);
  serve(this.control, (msgs) => this.handleShellMessage(this.control, ...msgs)).catch(report);
  serve(this.hb, (msgs) => this.hb.send(msgs)).catch(report);
};

require("tslab/dist/main.js").main();
