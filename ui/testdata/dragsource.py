#!/usr/bin/python3
"""A tiny GTK3 drag source for the real-window test.

Shows a small window at the top-left corner of the screen that offers the
given files as text/uri-list when dragged, like a file manager does. The test
then drives the mouse with xdotool from this window onto the ossdrop window,
so ossdrop receives a real XDND drop.

Usage: dragsource.py X Y FILE...   (X, Y: where to put the window)
Prints "ready" once the window is mapped, "sent N" when the drop target asked
for the data, and exits after the drag ends.
"""
import sys
from urllib.parse import quote

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk, Gdk, GLib  # noqa: E402


def main():
    x, y = int(sys.argv[1]), int(sys.argv[2])
    uris = ["file://" + quote(p) for p in sys.argv[3:]]

    win = Gtk.Window(title="ossdrop-drag-source")
    win.set_decorated(False)
    win.set_default_size(120, 120)
    win.move(x, y)
    box = Gtk.EventBox()
    box.add(Gtk.Label(label="drag me"))
    win.add(box)

    box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
    box.drag_source_add_uri_targets()

    def on_get(_w, _ctx, data, _info, _time):
        data.set_uris(uris)
        print("sent", len(uris), flush=True)

    def on_end(_w, _ctx):
        # Let the target finish reading before we go away.
        GLib.timeout_add(1500, Gtk.main_quit)

    box.connect("drag-data-get", on_get)
    box.connect("drag-end", on_end)
    win.connect("destroy", Gtk.main_quit)

    def on_map(*_):
        print("ready", flush=True)

    win.connect("map-event", on_map)
    win.show_all()
    # Never hang a test run: give up after a minute.
    GLib.timeout_add_seconds(60, Gtk.main_quit)
    Gtk.main()


if __name__ == "__main__":
    main()
