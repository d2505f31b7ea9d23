"""Real-browser tests of the example site: Playwright driving Debian's Chromium."""
