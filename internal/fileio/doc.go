// Package fileio opens regular files for the hot paths that open one per
// small file (the engine reading a file to upload, the local server storing
// an object). On Linux os.OpenFile tries to register every descriptor with
// the network poller, which regular files refuse: four fcntl calls and a
// failed epoll_ctl around each open, more than the open itself. Opening with
// the system call and wrapping the descriptor with os.NewFile leaves those
// out; the *os.File works as ever (reads, writes, Stat, Sync, Close), only
// without poller deadlines, which regular files do not support anyway.
package fileio
