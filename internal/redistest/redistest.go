// Package redistest gives tests a real Redis server on loopback.
//
// Addr returns, in order of preference: the server named by
// JEDISOS_TEST_REDIS_ADDR (started by .ci/services/redis.sh in CI); a
// redis-server from PATH started for the test on a free loopback port
// with no persistence, stopped when the test ends; or it skips the test
// with a message saying how to run it, and fails it instead when CI is
// set, so that CI never passes without Redis.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// EnvAddr is the variable naming a Redis server for the tests.
const EnvAddr = "JEDISOS_TEST_REDIS_ADDR"

// Addr returns the address ("127.0.0.1:port") of a Redis server the test
// may use. Tests share a server named by EnvAddr, so each test keeps its
// keys under a prefix of its own (see Prefix).
func Addr(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv(EnvAddr); addr != "" {
		if err := Ping(addr); err != nil {
			t.Fatalf("redis at %s=%s does not answer: %v", EnvAddr, addr, err)
		}
		return addr
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "no Redis: set " + EnvAddr + " or install redis-server (Debian package redis-server)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI must run these tests (.ci/services/redis.sh)")
		}
		t.Skip(msg)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("no free loopback port: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--logfile", dir+"/redis.log")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err = Ping(addr); err == nil {
			return addr
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(dir + "/redis.log")
			t.Fatalf("redis-server exited at start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer PING: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Prefix returns a key prefix unique to this test run and test.
func Prefix(t testing.TB) string {
	return fmt.Sprintf("jedisos-test:%d:%d:%s:", os.Getpid(), time.Now().UnixNano(), strings.ReplaceAll(t.Name(), " ", "_"))
}

// Ping sends PING to the server at addr and expects +PONG.
func Ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
