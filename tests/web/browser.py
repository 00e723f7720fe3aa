"""Browser helpers: a page that records CSP violations, script errors and dialogs, and signs in through the form."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conftest import ARTIFACTS


@dataclass
class Watched:
    page: Any
    csp_violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


def watched_page(context) -> Watched:
    page = context.new_page()
    w = Watched(page)

    def on_console(msg) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            w.csp_violations.append(text)
        elif msg.type == "error":
            w.errors.append(text)

    def on_dialog(dialog) -> None:
        w.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: w.errors.append(str(exc)))
    page.on("dialog", on_dialog)
    return w


def sign_in(w: Watched, base_url: str, name: str, password: str) -> None:
    w.page.goto(base_url + "/login")
    w.page.fill("input[name=username]", name)
    w.page.fill("input[name=password]", password)
    w.page.click("button[type=submit]")
    w.page.wait_for_url("**/queue")
