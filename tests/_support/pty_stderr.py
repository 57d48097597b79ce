"""Runs a program with its standard error on a pseudo-terminal, as a user's
terminal would hold it, and copies what the terminal shows to this
process's own standard error. Standard input and output stay as given, so
a test still reads the ready record from a pipe.

    python3 pty_stderr.py [--columns N] [--set NAME=VALUE]... [--unset NAME]... -- PROGRAM [ARG]...

The terminal is N columns wide (default 100). Each --set puts a variable
in the program's environment (TERM=xterm-256color, say), each --unset
takes one out (NO_COLOR, say). SIGTERM, SIGINT
and SIGHUP are passed on to the program; should this process die, the
program is killed too. The exit code is the program's, or 128 + the
signal that ended it.
"""

import argparse
import ctypes
import fcntl
import os
import signal
import struct
import sys
import termios

PR_SET_PDEATHSIG = 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, default=100)
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--unset", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no program to run")

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, args.columns, 0, 0))
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        # The program: a session of its own, with the terminal as its
        # controlling terminal and its standard error.
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.dup2(slave, 2)
        os.close(slave)
        for name in args.unset:
            os.environ.pop(name, None)
        for assignment in args.set:
            name, _, value = assignment.partition("=")
            os.environ[name] = value
        os.execvp(command[0], command)

    os.close(slave)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda received, _frame: os.kill(pid, received))
    out = sys.stderr.buffer
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break  # EIO: every writer of the terminal has gone
        if not data:
            break
        out.write(data)
        out.flush()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main())
