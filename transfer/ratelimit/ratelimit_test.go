package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func TestUnlimitedPassesThrough(t *testing.T) {
	l := New(0)
	data := bytes.Repeat([]byte("x"), 1<<20)
	n, err := io.Copy(io.Discard, l.Reader(context.Background(), bytes.NewReader(data)))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("copied %d, %v", n, err)
	}
}

func TestLimitPacesAndCancels(t *testing.T) {
	l := New(64 << 10) // 64 KiB/s
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, l.Reader(ctx, bytes.NewReader(make([]byte, 10<<20))))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("10 MiB at 64 KiB/s finished at once: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancel did not stop a throttled reader")
	}
}

func TestLiveChange(t *testing.T) {
	l := New(16 << 10)
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, l.Reader(context.Background(), bytes.NewReader(make([]byte, 4<<20))))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	l.Set(0)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("lifting the limit did not speed the reader up")
	}
	if l.Limit() != 0 {
		t.Fatal("limit not cleared")
	}
}

func TestStepIsOneBurstUnderALimit(t *testing.T) {
	l := New(0)
	if s := l.Step(1 << 20); s != 1<<20 {
		t.Fatalf("unlimited: step %d", s)
	}
	l.Set(2 << 20)
	if s := l.Step(1 << 20); s != burstFor(2<<20) {
		t.Fatalf("2 MiB/s: step %d, want the burst %d", s, burstFor(2<<20))
	}
	if s := l.Step(1 << 10); s != 1<<10 {
		t.Fatalf("small max: step %d", s)
	}
	l.Set(0)
	if s := l.Step(1 << 20); s != 1<<20 {
		t.Fatalf("limit lifted: step %d", s)
	}
}
