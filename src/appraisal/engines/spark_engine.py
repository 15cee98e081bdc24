"""Spark as the engine of a measurement: typed tables shipped as Parquet, one row per appraisee back.

The Spark session is configured so the numbers cannot depend on the cluster's defaults: ANSI SQL
with double-quoted identifiers (the statements quote names as everywhere), decimals that never
lose digits silently (`allowPrecisionLoss` off: an exact sum stays exact), timestamps without a
zone (`TIMESTAMP` is `TIMESTAMP_NTZ`, wall-clock times as everywhere) and the session's zone UTC.

Settings (a profile's keys, see appraisal.engines.profiles): `master` (default `local[*]`: Spark
in this process's JVM), or `remote` (a Spark Connect URL, `sc://host:15002`), any `spark.*`
configuration key, and `log`: a file for the JVM's own output (default: none). `dsn` (what
`APPRAISAL_SPARK_DSN` gives) is either: a Connect URL when it starts with `sc://`, else a master.
A `password` (a profile's `password_env`) is the Connect server's bearer token.

Shipped tables become temporary views. With a master they are written as Parquet into the
private spill folder and read from there (a cluster's executors must see that folder:
`--spill-dir` on a shared file system). A Spark Connect server is another machine that cannot
read this one's files: the tables travel in the connection, as Arrow, which the client sends in
chunks and the server caches.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pyarrow as pa
from py4j.protocol import Py4JError
from pyspark import SparkContext
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession

from appraisal import interrupts
from appraisal.errors import DataError
from appraisal.sql.dialect import Dialect, inline_literal
from appraisal.sql.spark import SPARK

if TYPE_CHECKING:
    import duckdb

_ERRORS = (PySparkException, Py4JError)  # what Spark raises, from Python or through the JVM bridge
CONFIG = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.ansi.doubleQuotedIdentifiers": "true",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}
CONNECT_MODE = "SPARK_CONNECT_MODE_ENABLED"  # what PySpark sets in os.environ when a Connect session starts
FIRST_CONTACT_RETRIES = 4  # about four seconds of retries before a server is called unreachable
LOCAL = {  # for a session this process starts itself
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.memory": "1g",
}


# a table's column types by Spark's type name, as appraisal.engines.tables reads them
_KINDS = {
    "string": "text", "varchar": "text", "char": "text", "byte": "integer", "short": "integer",
    "integer": "integer", "long": "integer", "float": "number", "double": "number", "decimal": "decimal",
    "boolean": "boolean", "date": "date", "timestamp_ntz": "timestamp", "timestamp": "instant",
}


def _message(exc: BaseException, secrets: Sequence[str] = ()) -> str:
    """The first line of Spark's error, without a Spark Connect token it may quote (a gRPC error
    of Spark Connect by its status and details: its text is a dump of the call); each of
    `secrets` is masked wherever it appears, as written and as it is put into a URL."""
    text = str(exc)
    for secret in secrets:
        for form in {secret, quote(secret, safe="")}:
            text = text.replace(form, "***")
    if grpc := re.search(r'status = StatusCode\.(\w+)\s+details = "([^"]*)"', text):
        text = f"{grpc[1]}: {grpc[2]}"
    text = " ".join(text.strip().split("\n", 1)[0].split())[:400]
    return re.sub(r"token=[^;'\s]*", "token=***", text)


def _where(settings: Mapping[str, str]) -> dict[str, str]:
    """`settings` with a `dsn` read as the module docstring says."""
    found = {key: value for key, value in settings.items() if key != "dsn"}
    if dsn := settings.get("dsn", "").strip():
        found.setdefault("remote" if dsn.startswith("sc://") else "master", dsn)
    return found


def connect_url(settings: Mapping[str, str]) -> str:
    """The Spark Connect URL of `settings` (with `remote`), its `password` added as the token."""
    url = settings["remote"]
    if token := settings.get("password"):  # a profile's `password_env`: the server's bearer token
        # escaped: the URL's parameters are split at ; and = and their values URL-decoded
        url = (url if "/;" in url else url.rstrip("/") + "/") + f";token={quote(token, safe='')}"
    return url


def connected(spark: SparkSession) -> bool:
    """Whether `spark` is a Spark Connect session (a client of a server elsewhere)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def session(settings: Mapping[str, str]) -> SparkSession:
    """The Spark session `settings` ask for, configured as the module docstring says: for a
    master, the one already running in this process, if any, with these settings applied; for
    Spark Connect, a session of its own on the server (stopped by the engine's `close`)."""
    settings = _where(settings)
    if "remote" in settings:
        return _connect_session(connect_url(settings), settings)
    builder = SparkSession.builder.appName("appraisal")
    builder = builder.master(settings.get("master", "local[*]"))
    for key, value in LOCAL.items():
        builder = builder.config(key, settings.get(key, value))
    for key, value in settings.items():
        if key.startswith("spark."):
            builder = builder.config(key, value)
    if SparkContext._active_spark_context is not None:
        spark = builder.getOrCreate()
    else:  # this process starts the JVM: its log goes to `log` (default: nowhere), not to our stderr
        # PySpark puts in a Ctrl-C handler of its own, which calls the JVM from inside whatever call
        # to the JVM the signal interrupts; appraisal.interrupts' handler stays, and cancels instead
        handler = signal.getsignal(signal.SIGINT)
        if not logging.root.handlers:  # py4j logs an interrupted call on the root logger, which
            logging.root.addHandler(logging.NullHandler())  # would print a traceback after Ctrl-C
        try:
            with _output_to(settings.get("log") or os.devnull):
                spark = builder.getOrCreate()
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, handler)
    for key, value in CONFIG.items():  # never the user's: they decide the numbers
        spark.conf.set(key, value)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _connect_session(url: str, settings: Mapping[str, str]) -> SparkSession:
    """A session of our own on the Spark Connect server at `url`, or DataError within seconds.

    The client retries an unanswered call for ten minutes or more: a mistyped URL or a server that
    is down is said after a few seconds of retries instead, before the run starts; during the run
    the client's own retries stay (a server that restarts, a network that drops a call). The
    `spark.*` settings are the session's (a server's static ones, such as executor memory, are set
    where it starts: refused here by name)."""
    marked = os.environ.get(CONNECT_MODE)
    try:
        with warnings.catch_warnings():  # "PySpark does not yet fully support pandas >= 3": we pass it none
            warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
            spark = SparkSession.builder.remote(url).create()  # no call yet; never another code's session
    except ImportError as exc:
        raise DataError(f"Spark Connect needs its client ({exc}): pip install 'appraisal[spark-connect]'") from None
    finally:  # PySpark marks the whole process (and its children) Connect-only: a local Spark would then refuse
        if marked is None:
            os.environ.pop(CONNECT_MODE, None)
        else:
            os.environ[CONNECT_MODE] = marked
    # the Connect client (an extra) only for a Connect URL; importable here: create() needed it
    from pyspark.sql.connect.client.retries import DefaultPolicy

    during_run = spark.client.get_retry_policies()
    spark.client.set_retry_policies([DefaultPolicy(max_retries=FIRST_CONTACT_RETRIES)])
    try:
        with warnings.catch_warnings():  # "[RETRIES_EXCEEDED]": said in our message
            warnings.filterwarnings("ignore", message=r"\[RETRIES_EXCEEDED\]")
            spark.version  # noqa: B018 - the first call: is anyone there
    except BaseException:
        with contextlib.suppress(Exception):  # no one to release a session on: `stop` would retry that too
            spark.client.close()
        raise
    spark.client.set_retry_policies(during_run)
    try:
        for key, value in settings.items():
            if key.startswith("spark."):
                try:
                    spark.conf.set(key, value)
                except _ERRORS as exc:
                    raise DataError(f"Spark Connect did not take the setting {key}: {_message(exc)}") from None
        for key, value in CONFIG.items():  # never the user's: they decide the numbers
            spark.conf.set(key, value)
    except BaseException:
        with contextlib.suppress(*_ERRORS):
            spark.stop()
        raise
    return spark


@contextlib.contextmanager
def _output_to(path: str) -> Iterator[None]:
    """Standard error of the processes started in the block (the JVM) into `path`: Spark's
    start-up notes and the errors it logs while a cancelled job winds down are no message for
    the person at the terminal (a failing query still raises, and is reported)."""
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    saved = os.dup(2)
    try:
        os.dup2(target, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


class SparkSessionEngine:
    """A measurement's Spark session (see the module docstring)."""

    name = "spark"
    dialect: Dialect = SPARK

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.version = spark.version
        self.views: list[str] = []
        self.prefix = f"appraisal_{uuid.uuid4().hex[:12]}"
        interrupts.register_connection(self)

    def interrupt(self) -> None:
        """Cancel the running jobs (called by `appraisal.interrupts` from its thread)."""
        if connected(self.spark):
            _few_retries(self.spark)  # the run ends: a server that has gone must not hold it for minutes
            self.spark.interruptAll()
        else:
            self.spark.sparkContext.cancelAllJobs()

    cancel = interrupt

    def ship(self, connection: duckdb.DuckDBPyConnection, tables: Mapping[str, str], folder: Path) -> None:
        for n, (table, rows_sql) in enumerate(tables.items()):
            names = [table, *(str(row[0]) for row in connection.execute(f"DESCRIBE {rows_sql}").fetchall())]
            if any("\\" in name for name in names):  # Spark reads a backslash in a quoted name as an escape
                raise DataError(f"Spark cannot measure table {table!r}: a name in it holds a backslash;"
                                " rename it (`rename:`) or use another engine")
            view = "`" + table.replace("`", "``") + "`"  # any name the scheme allows (CJK, dashes, dots)
            try:
                if connected(self.spark):  # the server cannot read this machine's files
                    self.spark.createDataFrame(_arrow(connection, rows_sql)).createOrReplaceTempView(view)
                else:  # a file URL: a bare path would be looked up on Hadoop's default file system (HDFS)
                    staged = folder / f"spark-{self.prefix}-{n}.parquet"
                    connection.execute(f"COPY ({rows_sql}) TO {inline_literal(str(staged))} (FORMAT parquet)")
                    self.spark.read.parquet(staged.as_uri()).createOrReplaceTempView(view)
            except _ERRORS as exc:
                raise DataError(f"cannot read table {table!r} into Spark: {_message(exc)}") from None
            self.views.append(table)

    def columns(self, table: str) -> list[tuple[str, str]]:
        try:
            fields = self.spark.sql(f"SELECT * FROM {table} LIMIT 0").schema.fields
        except _ERRORS as exc:
            raise DataError(f"Spark cannot read {table}: {_message(exc)}") from None
        if any("\\" in f.name for f in fields):  # Spark reads a backslash in a quoted name as an escape
            raise DataError(f"Spark cannot measure {table}: a column name in it holds a backslash; rename it in a view")
        return [(f.name, _KINDS.get(f.dataType.typeName(), f"other:{f.dataType.simpleString()}")) for f in fields]

    def stage(self, name: str, sql: str) -> None:
        view = "`" + name.replace("`", "``") + "`"
        try:
            self.spark.sql(sql).createOrReplaceTempView(view)
            self.views.append(name)
            self.spark.sql(f"CACHE TABLE {view}")  # typed once, not again by every measure
        except _ERRORS as exc:
            raise DataError(f"Spark could not type the table of {name!r}: {_message(exc)}") from None

    def fetch(self, sql: str, params: Sequence[object]) -> pa.Table:
        arguments = [spark_literal(p) for p in params]
        try:
            found = self.spark.sql(sql, args=arguments).toArrow()
        except _ERRORS as exc:
            raise DataError(f"Spark could not measure: {_message(exc)}") from None
        return pa.table([_plain(column) for column in found.columns], names=found.column_names)

    def close(self) -> None:
        interrupts.unregister_connection(self)
        if connected(self.spark):  # the server's session is ours alone (see `session`): its views end with it
            _end(self.spark)
            return
        for view in self.views:
            with contextlib.suppress(*_ERRORS):  # a JVM that died took its views with it
                self.spark.catalog.dropTempView(view)


def _arrow(connection: duckdb.DuckDBPyConnection, rows_sql: str) -> pa.Table:
    """The rows of `rows_sql` as Arrow (DuckDB 1.4 and 2 name the call differently)."""
    relation = connection.sql(rows_sql)
    return (getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table)()


def spark_literal(value: object) -> object:
    """A bound value as Spark reads it the same way in every time zone: a timestamp or date as
    ISO text (cast where it is compared), the rest as it is."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decimals as doubles (the values are doubles already; counts may come as DECIMAL)."""
    if pa.types.is_decimal(column.type):
        return pa.chunked_array([pa.array([None if v is None else float(v) for v in column.to_pylist()],
                                          pa.float64())])
    return column


def connect(settings: Mapping[str, str]) -> SparkSessionEngine:
    spark = None
    try:
        spark = session(settings)
        return SparkSessionEngine(spark)
    # a JVM that does not start, a URL that does not answer or does not parse (a port of letters)
    except (*_ERRORS, RuntimeError, OSError, ValueError) as exc:
        if spark is not None and connected(spark):  # a session the server opened for us: ended
            _end(spark)
        doing = "reach the Spark Connect server" if "remote" in _where(settings) else "start Spark"
        secrets = [settings["password"]] if settings.get("password") else []
        raise DataError(f"cannot {doing}: {_message(exc, secrets)}") from None


def _end(spark: SparkSession) -> None:
    """Stop a Connect session, with a few seconds of retries (the client's own go on for ten
    minutes when the server has gone, and a run that stops should not wait for that)."""
    _few_retries(spark)
    with contextlib.suppress(*_ERRORS):
        spark.stop()


def _few_retries(spark: SparkSession) -> None:
    """The Connect client's retries cut to a few seconds, for calls made while a run ends."""
    # the Connect client (an extra) only for a Connect session, which has it
    from pyspark.sql.connect.client.retries import DefaultPolicy

    spark.client.set_retry_policies([DefaultPolicy(max_retries=FIRST_CONTACT_RETRIES)])

