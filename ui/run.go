package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/assets"
)

// AppID is the application's unique id (preferences, notifications); it
// matches FyneApp.toml.
const AppID = "io.github.ossdrop.ossdrop"

// Run opens the window for l and runs the GUI until it closes; it returns the
// process exit code. Only this starts the GUI stack: commands without a
// window never call it.
func Run(ctx context.Context, l app.Launch) int {
	keepCHeap() // before the GL driver allocates
	if l.Core != nil {
		UseLanguage(l.Core.Config().App.Language) // before the app exists: Fyne reads it once
	}
	fa := fyneapp.NewWithID(AppID)
	fa.SetIcon(assets.Icon)
	cfg := Config{Backend: l.Manager, Target: l.Target, Prefix: l.Prefix, Logger: l.Log, Icon: assets.Icon,
		Tray: app.TrayAvailable()}
	if !l.Fixed {
		cfg.Core = l.Core
	}
	if l.Core != nil {
		cfg.CloseToTray = l.Core.Config().App.CloseToTray
		cfg.StateDir, cfg.History = l.Core.StateDir(), l.Core.History()
	}
	w := New(fa, cfg)
	win := w.Window()
	win.SetIcon(assets.Icon)
	win.SetMaster()
	// The first frame also prepares what the first rows will draw.
	w.startWarmUp()
	win.Show()
	if l.Core != nil {
		if err := l.Core.LoadError(); err != nil {
			w.ShowProblem(settingsLoadProblem(err))
		}
	}
	w.AddPaths(l.Files)
	w.Start(ctx)
	if l.Incoming != nil {
		rctx, stopReceiving := context.WithCancel(ctx)
		defer stopReceiving()
		go w.receiveLaunches(rctx, l.Incoming)
	}
	guard := newShutdownGuard(shutdownGrace)
	fa.Lifecycle().SetOnStopped(guard.stoppedRan)
	w.onQuit = func() {
		guard.quitBegan()
		fa.Quit()
	}
	stopOnCancel := context.AfterFunc(ctx, func() {
		guard.quitBegan()
		fyne.Do(fa.Quit)
	})
	defer stopOnCancel()
	// OSSDROP_STALL_PROBE=FILE measures the UI loop's stalls for the
	// benchmark and writes them to FILE as JSON on exit.
	var probeDone func() StallStats
	probeCtx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	getenv := l.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv("OSSDROP_STALL_PROBE") != "" {
		probeDone = w.ProbeStalls(probeCtx, 5*time.Millisecond)
	}
	// The main goroutine is locked to the main thread (the GLFW driver's
	// init does it), which runs the main loop.
	w.uiThread = threadID()
	if l.Core != nil {
		// Listed once the window is up, not before: a large queue takes
		// seconds to read, and the offer follows when it is read.
		w.OfferResumeWhenListed(ctx, l.Core.Unfinished, l.Resume)
	}
	finish := func() {
		w.Stop()
		if probeDone != nil {
			stopProbe()
			writeStallReport(getenv("OSSDROP_STALL_PROBE"), probeDone())
		}
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	go guard.watch(watchCtx, func() {
		w.log.Warn("the window's toolkit did not finish quitting; ending the process", "waited", shutdownGrace)
		finish()
		exit := l.Exit
		if exit == nil {
			exit = os.Exit
		}
		exit(0)
	})
	fa.Run()
	if !guard.returned() {
		select {} // the watch is ending the process
	}
	stopWatch()
	finish()
	return 0
}

// receiveLaunches brings the window to the front and queues the files of each
// later launch.
func (w *Window) receiveLaunches(ctx context.Context, in <-chan []string) {
	for {
		select {
		case <-ctx.Done():
			return
		case files := <-in:
			w.do(func() {
				w.showWindow()
				w.AddPaths(files)
			})
		}
	}
}

func writeStallReport(path string, s StallStats) {
	data, err := json.Marshal(s)
	if err == nil {
		err = os.WriteFile(path, data, 0o600)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ossdrop: stall report: %v\n", err)
	}
}
