"""Runs kept as evidence: the run store (`runs`), and what two stored runs differ in (`comparing`)."""
