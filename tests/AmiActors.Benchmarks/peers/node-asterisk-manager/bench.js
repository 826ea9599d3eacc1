#!/usr/bin/env node
// The node asterisk-manager client (npm asterisk-manager, pinned at 0.2.0 in package.json), measured the way its README
// uses it: manager(port, host, username, secret, events = true), 'managerevent' for every event, action(..., callback)
// for every action. Run by the AmiActors external harness (path 'node') as a child process; prints ONE line of JSON on
// stdout, or one line on stderr and a non-zero exit code.
//
//   node bench.js events --port P --host H --user U --secret S [--count N] [--timeout SECONDS]
//       (without --secret the secret is read from AMI_SECRET, so it need not appear on a command line)
//       counts every 'managerevent' until the event named FloodComplete (not counted); time runs from the first event
//       to FloodComplete. 'matched' compares the count with --count and with FloodComplete's Count header.
//   node bench.js pings  --port P --host H --user U --secret S --count N [--inflight K] [--warmup W] [--timeout SECONDS]
//       N Ping actions, K outstanding at a time (K = 1, the default: each Ping is sent from the previous one's callback);
//       W untimed Pings first (default 0). Time runs from the first timed Ping to the last reply; 'cpuSeconds' is the
//       process's user + system CPU over the same span (process.cpuUsage).
//
// What asterisk-manager 0.2.0 does (lib/ami.js), and what this script does about it:
// - The constructor connects and logs in at once, but binds the username where ManagerLogin expects its callback, so a
//   login failure goes to a no-op: it is silent, and every action stays held until a login succeeds. Nothing but the
//   login is sent before it is answered, so the first 'response' event is the login's reply: Success starts the run,
//   anything else fails it.
// - The login carries 'Event: on' (not Asterisk's 'Events:' header): events arrive as the AMI user's read permissions
//   allow, whatever the fifth argument says.
// - ActionID is the current time in milliseconds, with random digits appended while a listener for that id exists; the
//   reply is matched by emitting the ActionID as an event name, on process.nextTick. A reply with 'Response: Error' comes
//   as the callback's first argument.
// - Connection errors are emitted as 'error' (the library listens itself, so they never throw); 'close' on any close.
'use strict';

const path = require('path');

const CLIENT = 'asterisk-manager';
const PINNED = '0.2.0';

function fail(message, code) {
  process.stderr.write(`node-asterisk-manager: ${message}\n`);
  process.exit(code || 1);
}

function parseArgs(argv) {
  const mode = argv[0];
  if (mode !== 'events' && mode !== 'pings') {
    fail('usage: node bench.js events|pings --port P --host H --user U --secret S [--count N] [--inflight K] [--warmup W] [--timeout SECONDS]', 64);
  }
  const options = { mode, host: '127.0.0.1', port: 5038, user: 'admin', secret: process.env.AMI_SECRET || '', count: 0, inflight: 1, warmup: 0, timeout: 300 };
  for (let i = 1; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    if (!name.startsWith('--') || value === undefined) {
      fail(`unexpected argument '${name}'${value === undefined && name.startsWith('--') ? ' (it needs a value)' : ''}`, 64);
    }
    i++;
    switch (name) {
      case '--host': options.host = value; break;
      case '--user': options.user = value; break;
      case '--secret': options.secret = value; break;
      case '--port': options.port = positive(name, value, false); break;
      case '--count': options.count = positive(name, value, true); break;
      case '--inflight': options.inflight = positive(name, value, false); break;
      case '--warmup': options.warmup = positive(name, value, true); break;
      case '--timeout': options.timeout = positive(name, value, false); break;
      default: fail(`unknown option ${name}`, 64);
    }
  }
  if (mode === 'pings' && options.count === 0) {
    fail('pings needs --count N (N > 0)', 64);
  }
  return options;
}

function positive(name, text, zeroAllowed) {
  const value = Number(String(text).replace(/_/g, ''));
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    fail(`${name} must be a whole number${zeroAllowed ? '' : ' above 0'}, not '${text}'`, 64);
  }
  return value;
}

function loadClient() {
  let version;
  try {
    version = require(path.join(__dirname, 'node_modules', CLIENT, 'package.json')).version;
  } catch (e) {
    fail(`${CLIENT} is not installed: run npm ci --prefix ${path.relative(process.cwd(), __dirname) || '.'}`);
  }
  if (version !== PINNED) {
    fail(`node_modules has ${CLIENT} ${version}, the benchmark pins ${PINNED}: run npm ci --prefix ${path.relative(process.cwd(), __dirname) || '.'}`);
  }
  return require(CLIENT);
}

function seconds(start, end) {
  return Number(end - start) / 1e9;
}

function finish(ami, result) {
  result.maxRssKb = process.resourceUsage().maxRSS;
  const line = JSON.stringify(Object.assign({ client: `${CLIENT} ${PINNED}`, node: process.version }, result)) + '\n';
  finish.done = true;
  // Log off as a user would; the result is already measured, so a server that does not answer only costs the grace time.
  const exit = () => process.stdout.write(line, () => process.exit(0));
  const grace = setTimeout(exit, 2000);
  ami.action({ action: 'Logoff' }, () => {
    clearTimeout(grace);
    ami.disconnect();
    exit();
  });
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const manager = loadClient();
  const target = `${options.host}:${options.port}`;

  setTimeout(() => fail(`timeout: no result from ${target} within ${options.timeout} s (${options.mode})`), options.timeout * 1000);

  // The README's way: new require('asterisk-manager')(port, host, username, password, true).
  const ami = manager(options.port, options.host, options.user, options.secret, true);
  let connected = false;
  let loggedIn = false;

  ami.on('connect', () => { connected = true; });
  ami.on('error', (err) => {
    if (finish.done) {
      return;
    }
    fail(connected ? `connection to ${target} failed: ${err.message}` : `cannot connect to ${target}: ${err.message}`);
  });
  ami.on('close', () => {
    if (!finish.done) {
      fail(`${target} closed the connection ${loggedIn ? `before the end of the run (${options.mode})` : 'before the login was answered'}`);
    }
  });

  const started = options.mode === 'events' ? countEvents(ami, options) : pings(ami, options, target);
  ami.on('response', function onLogin(response) {
    ami.removeListener('response', onLogin);
    if (String(response.response).toLowerCase() !== 'success') {
      fail(`login to ${target} as '${options.user}' failed: ${response.message || response.response}`);
    }
    loggedIn = true;
    started();
  });
}

// Registered before the connection is made, so events that come in the same read as the login response are counted.
function countEvents(ami, options) {
  let events = 0;
  let first = 0n;
  ami.on('managerevent', (evt) => {
    const now = process.hrtime.bigint();
    if (first === 0n) {
      first = now;
    }
    if (evt.event !== 'FloodComplete') {
      events++;
      return;
    }
    const elapsed = seconds(first, now);
    const announced = Number(evt.count);
    const expected = options.count > 0 ? options.count : announced;
    finish(ami, {
      mode: 'events',
      events,
      expected,
      floodCompleteCount: Number.isFinite(announced) ? announced : null,
      matched: events === expected && (!Number.isFinite(announced) || events === announced),
      seconds: elapsed,
      eventsPerSecond: elapsed > 0 ? events / elapsed : 0,
    });
  });
  return () => {};
}

function pings(ami, options, target) {
  const total = options.warmup + options.count;
  let sent = 0;
  let answered = 0;
  let start = 0n;
  let cpuStart = process.cpuUsage(); // user + system CPU of this process, from the start of the timed Pings

  function send() {
    sent++;
    ami.action({ action: 'Ping' }, onReply);
  }

  function onReply(err, res) {
    if (err) {
      fail(`Ping ${answered + 1} to ${target} failed: ${err.message || err.response || JSON.stringify(err)}`);
    }
    if (!res || String(res.response).toLowerCase() !== 'success') {
      fail(`Ping ${answered + 1} to ${target}: unexpected reply ${JSON.stringify(res)}`);
    }
    answered++;
    if (answered === total) {
      const elapsed = seconds(start, process.hrtime.bigint());
      const cpu = process.cpuUsage(cpuStart);
      finish(ami, {
        mode: 'pings',
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        pings: options.count,
        inflight: options.inflight,
        warmup: options.warmup,
        seconds: elapsed,
        pingsPerSecond: options.count / elapsed,
      });
    } else if (answered === options.warmup) {
      start = process.hrtime.bigint(); // the warm-up is answered: the timed Pings start now
      cpuStart = process.cpuUsage();
      for (let i = 0; i < options.inflight && sent < total; i++) {
        send();
      }
    } else if (answered < options.warmup) {
      if (sent < options.warmup) {
        send();
      }
    } else if (sent < total) {
      send(); // a reply frees one of the K slots
    }
  }

  return () => {
    if (options.warmup > 0) {
      for (let i = 0; i < options.inflight && sent < options.warmup; i++) {
        send();
      }
    } else {
      start = process.hrtime.bigint();
      cpuStart = process.cpuUsage();
      for (let i = 0; i < options.inflight && sent < total; i++) {
        send();
      }
    }
  };
}

main();
