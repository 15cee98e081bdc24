"""Runs kept as evidence: the run store (`runs`), what two stored runs differ in (`comparing`), and
whether a stored run is reproduced (`verifying`)."""
