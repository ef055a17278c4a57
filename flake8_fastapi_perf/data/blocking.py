"""Which calls block the event loop, and what calls return.

Names are fully qualified, as the import table resolves them (``requests.get``).  A name of the
form ``Type.method`` is a method called on a value known to be an instance of ``Type``; the
method ``*`` stands for every method of that type not listed in ``NOT_BLOCKING``.

Users add entries with ``extend-blocking = ["mylib.fetch=FPF102"]`` and silence names with
``allow = ["requests.get"]`` (a name also covers everything below it: ``allow = ["boto3"]``).
"""

from __future__ import annotations


def _methods(owner: str, names: str, code: str) -> dict[str, str]:
    return {f"{owner}.{name}": code for name in names.split()}


HTTP_VERBS = "get post put patch delete head options request"

#: qualified call name -> rule code
BLOCKING: dict[str, str] = {
    # FPF101: sleeping
    "time.sleep": "FPF101",
    # FPF102: network and HTTP clients
    **_methods("requests", HTTP_VERBS, "FPF102"),
    **_methods("requests.Session", HTTP_VERBS + " send", "FPF102"),
    **_methods("httpx", HTTP_VERBS + " stream", "FPF102"),
    **_methods("httpx.Client", HTTP_VERBS + " send stream", "FPF102"),
    "urllib.request.urlopen": "FPF102",
    "urllib.request.urlretrieve": "FPF102",
    "urllib3.request": "FPF102",
    **_methods("urllib3.PoolManager", "request urlopen request_encode_url request_encode_body", "FPF102"),
    **_methods("urllib3.HTTPConnectionPool", "request urlopen", "FPF102"),
    **_methods("http.client.HTTPConnection", "request getresponse connect", "FPF102"),
    **_methods("socket", "create_connection getaddrinfo gethostbyname gethostbyname_ex gethostbyaddr getfqdn", "FPF102"),
    **_methods("socket.socket", "connect connect_ex accept recv recv_into recvfrom send sendall sendto sendfile", "FPF102"),
    "smtplib.SMTP": "FPF102",
    "smtplib.SMTP_SSL": "FPF102",
    **_methods("smtplib.SMTP", "connect login starttls ehlo helo sendmail send_message quit noop", "FPF102"),
    "ftplib.FTP": "FPF102",
    "ftplib.FTP_TLS": "FPF102",
    **_methods("ftplib.FTP", "connect login retrbinary retrlines storbinary storlines nlst dir mlsd cwd delete rename quit", "FPF102"),
    # FPF103: file-system I/O
    "open": "FPF103",
    "io.open": "FPF103",
    "codecs.open": "FPF103",
    **_methods("pathlib.Path", "open read_text read_bytes write_text write_bytes iterdir glob rglob walk", "FPF103"),
    **_methods("shutil", "copy copy2 copyfile copytree copyfileobj move rmtree make_archive unpack_archive", "FPF103"),
    "zipfile.ZipFile": "FPF103",
    "tarfile.open": "FPF103",
    # (not the single metadata calls, ``os.makedirs``, ``os.remove``, ``os.rename``/``replace``,
    # ``os.mkdir``/``rmdir``: one system call on a local disk, microseconds, as ``Path.mkdir``,
    # ``Path.unlink`` and ``os.path.exists``; judged negligible wherever they were reported)
    **_methods("os", "listdir scandir walk sendfile fsync", "FPF103"),
    **_methods("glob", "glob iglob", "FPF103"),
    # FPF104: subprocesses (``Popen(...)`` only starts one: waiting for it or reading its pipes
    # blocks)
    **_methods("subprocess", "run call check_call check_output getoutput getstatusoutput", "FPF104"),
    **_methods("subprocess.Popen", "wait communicate", "FPF104"),
    **_methods("subprocess.Pipe", "read readline readlines", "FPF104"),
    "os.system": "FPF104",
    "os.popen": "FPF104",
    "os.waitpid": "FPF104",
    # FPF105: sync database and cache clients
    "sqlite3.connect": "FPF105",
    "psycopg2.connect": "FPF105",
    "psycopg.connect": "FPF105",
    "psycopg.Connection.connect": "FPF105",
    "pymysql.connect": "FPF105",
    "MySQLdb.connect": "FPF105",
    "mysql.connector.connect": "FPF105",
    **_methods("dbapi.Connection", "execute executemany executescript commit rollback", "FPF105"),
    **_methods("dbapi.Cursor", "execute executemany executescript fetchone fetchmany fetchall callproc copy_from copy_to copy_expert", "FPF105"),
    **_methods("pymongo.MongoClient", "list_database_names list_databases server_info drop_database", "FPF105"),
    **_methods("pymongo.database.Database", "command list_collection_names list_collections create_collection drop_collection", "FPF105"),
    **_methods(
        "pymongo.collection.Collection",
        "find find_one insert_one insert_many update_one update_many replace_one delete_one delete_many "
        "aggregate count_documents estimated_document_count distinct find_one_and_update "
        "find_one_and_replace find_one_and_delete bulk_write create_index create_indexes drop",
        "FPF105",
    ),
    "redis.Redis.*": "FPF105",
    "redis.client.Pipeline.execute": "FPF105",
    "botocore.client.BaseClient.*": "FPF105",
    **_methods(
        "boto3.resources.base.ServiceResource",
        "upload_file download_file upload_fileobj download_fileobj put get delete load reload copy "
        "put_item get_item query scan update_item delete_item batch_get_item",
        "FPF105",
    ),
    **_methods(
        "sqlalchemy.orm.Session",
        "execute scalar scalars commit rollback flush refresh get get_one merge exec connection "
        "bulk_save_objects bulk_insert_mappings bulk_update_mappings",
        "FPF105",
    ),
    **_methods("sqlalchemy.orm.Query", "all first one one_or_none scalar count delete update get", "FPF105"),
    **_methods("sqlalchemy.engine.Engine", "connect begin execute raw_connection dispose", "FPF105"),
    **_methods("sqlalchemy.engine.Connection", "execute exec_driver_sql scalar scalars commit rollback", "FPF105"),
    # FPF106: CPU-bound work
    **_methods("bcrypt", "hashpw checkpw kdf", "FPF106"),
    **_methods("passlib.context.CryptContext", "hash verify encrypt verify_and_update genhash", "FPF106"),
    **{
        f"passlib.hash.{scheme}.{method}": "FPF106"
        for scheme in "bcrypt bcrypt_sha256 argon2 pbkdf2_sha256 pbkdf2_sha512 sha256_crypt sha512_crypt scrypt".split()
        for method in ("hash", "verify", "encrypt")
    },
    **_methods("hashlib", "pbkdf2_hmac scrypt", "FPF106"),
    **_methods("argon2.PasswordHasher", "hash verify", "FPF106"),
    **_methods("argon2.low_level", "hash_secret hash_secret_raw verify_secret", "FPF106"),
    "PIL.Image.open": "FPF106",
    **_methods(
        "PIL.Image.Image",
        "save resize thumbnail convert rotate transpose filter load paste quantize reduce transform",
        "FPF106",
    ),
    **_methods(
        "pandas",
        "read_csv read_excel read_json read_parquet read_sql read_sql_query read_sql_table read_html "
        "read_feather read_pickle read_table read_xml read_fwf read_orc read_stata read_sas read_spss",
        "FPF106",
    ),
}

#: Calls that only block when they open a file: given an in-memory buffer (``io.BytesIO(data)``,
#: or a name assigned from one) as first argument or ``fileobj=``, they read no disk and only parse
#: a header.
IN_MEMORY_OK: frozenset[str] = frozenset(["PIL.Image.open", "zipfile.ZipFile", "tarfile.open"])

#: Calls that do not block when a flag is given: qualified name -> (the position of the flags
#: argument, the flag's qualified name, its value).  ``os.waitpid(pid, os.WNOHANG)`` returns at
#: once; the flag may be spelt by name, or-ed with others, or as its number.
NON_BLOCKING_FLAGS: dict[str, tuple[int, str, int]] = {
    "os.waitpid": (1, "os.WNOHANG", 1),
}

#: Types whose blocking methods return at once after the object is switched to non-blocking
#: mode earlier in the same function: type -> (the switching calls as ``method(argument)``, the
#: methods that then never wait, the methods that still resolve a host name unless their
#: ``address`` is a numeric IP or a path).
NON_BLOCKING_MODE: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "socket.socket": (
        frozenset(["setblocking(False)", "setblocking(0)", "settimeout(0)", "settimeout(0.0)"]),
        frozenset("accept recv recv_into recvfrom recvfrom_into send sendall sendfile".split()),
        frozenset("connect connect_ex sendto".split()),
    ),
}

#: ``Type.method`` names that a ``Type.*`` entry above does not cover (they do no I/O).
NOT_BLOCKING: frozenset[str] = frozenset(
    [
        "redis.Redis.pipeline",
        "redis.Redis.pubsub",
        "redis.Redis.lock",
        "redis.Redis.close",
        "redis.Redis.from_url",
        "redis.Redis.get_connection_kwargs",
        "botocore.client.BaseClient.generate_presigned_url",
        "botocore.client.BaseClient.generate_presigned_post",
        "botocore.client.BaseClient.get_paginator",
        "botocore.client.BaseClient.get_waiter",
        "botocore.client.BaseClient.can_paginate",
        "botocore.client.BaseClient.close",
    ]
)

#: qualified name of a callable (or ``Type.method``/``Type.__call__``) -> type of what it returns.
#: ``Type.*`` stands for every method of ``Type``.
RETURNS: dict[str, str] = {
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "urllib3.PoolManager": "urllib3.PoolManager",
    "urllib3.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
    "http.client.HTTPConnection": "http.client.HTTPConnection",
    "socket.socket": "socket.socket",
    "socket.create_connection": "socket.socket",
    "smtplib.SMTP": "smtplib.SMTP",
    "smtplib.SMTP_SSL": "smtplib.SMTP",
    "ftplib.FTP": "ftplib.FTP",
    "ftplib.FTP_TLS": "ftplib.FTP",
    "pathlib.Path": "pathlib.Path",
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    **_methods("pathlib.Path", "resolve absolute expanduser with_name with_suffix with_stem joinpath relative_to", "pathlib.Path"),
    "subprocess.Popen": "subprocess.Popen",
    "sqlite3.connect": "dbapi.Connection",
    "psycopg2.connect": "dbapi.Connection",
    "psycopg.connect": "dbapi.Connection",
    "psycopg.Connection.connect": "dbapi.Connection",
    "pymysql.connect": "dbapi.Connection",
    "MySQLdb.connect": "dbapi.Connection",
    "mysql.connector.connect": "dbapi.Connection",
    "dbapi.Connection.cursor": "dbapi.Cursor",
    "dbapi.Connection.execute": "dbapi.Cursor",
    "pymongo.MongoClient": "pymongo.MongoClient",
    "pymongo.MongoClient.get_database": "pymongo.database.Database",
    "pymongo.MongoClient.get_default_database": "pymongo.database.Database",
    "pymongo.database.Database.get_collection": "pymongo.collection.Collection",
    "redis.Redis": "redis.Redis",
    "redis.StrictRedis": "redis.Redis",
    "redis.from_url": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.Redis.pipeline": "redis.client.Pipeline",
    "redis.client.Pipeline.*": "redis.client.Pipeline",
    "boto3.client": "botocore.client.BaseClient",
    "boto3.resource": "boto3.resources.base.ServiceResource",
    "boto3.session.Session": "boto3.session.Session",
    "boto3.session.Session.client": "botocore.client.BaseClient",
    "boto3.session.Session.resource": "boto3.resources.base.ServiceResource",
    "boto3.resources.base.ServiceResource.*": "boto3.resources.base.ServiceResource",
    "sqlalchemy.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.Engine.connect": "sqlalchemy.engine.Connection",
    "sqlalchemy.engine.Engine.begin": "sqlalchemy.engine.Connection",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.sessionmaker.__call__": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.sessionmaker.begin": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.Session.__call__": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.Session.begin": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.Session.query": "sqlalchemy.orm.Query",
    "sqlalchemy.orm.Query.*": "sqlalchemy.orm.Query",
    "passlib.context.CryptContext": "passlib.context.CryptContext",
    "argon2.PasswordHasher": "argon2.PasswordHasher",
    "PIL.Image.open": "PIL.Image.Image",
    "PIL.Image.new": "PIL.Image.Image",
    "PIL.Image.Image.*": "PIL.Image.Image",
    "io.BytesIO": "io.BytesIO",
    "io.StringIO": "io.BytesIO",
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
}

#: ``Type.<attribute>`` / ``Type.*`` (any attribute) / ``Type[]`` (subscript) -> type of the value.
ATTRIBUTES: dict[str, str] = {
    "subprocess.Popen.stdout": "subprocess.Pipe",
    "subprocess.Popen.stderr": "subprocess.Pipe",
    "pathlib.Path.parent": "pathlib.Path",
    "pymongo.MongoClient.*": "pymongo.database.Database",
    "pymongo.MongoClient[]": "pymongo.database.Database",
    "pymongo.database.Database.*": "pymongo.collection.Collection",
    "pymongo.database.Database[]": "pymongo.collection.Collection",
    "pymongo.collection.Collection.*": "pymongo.collection.Collection",
    "pymongo.collection.Collection[]": "pymongo.collection.Collection",
}

#: Types for which ``value / other`` is again that type.
DIVISIBLE: frozenset[str] = frozenset(["pathlib.Path"])

#: Other spellings of the same object -> the name used in the tables above.
ALIASES: dict[str, str] = {
    "requests.sessions.Session": "requests.Session",
    "requests.api.get": "requests.get",
    "requests.api.post": "requests.post",
    "httpx._client.Client": "httpx.Client",
    "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
    "urllib3.connectionpool.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.HTTPSConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.connectionpool.HTTPSConnectionPool": "urllib3.HTTPConnectionPool",
    "http.client.HTTPSConnection": "http.client.HTTPConnection",
    "pathlib.PurePath": "pathlib.Path",
    "mysql.connector.connection.MySQLConnection": "dbapi.Connection",
    "sqlite3.Connection": "dbapi.Connection",
    "sqlite3.Cursor": "dbapi.Cursor",
    "psycopg.Connection": "dbapi.Connection",
    "psycopg.Cursor": "dbapi.Cursor",
    "psycopg2.extensions.connection": "dbapi.Connection",
    "psycopg2.extensions.cursor": "dbapi.Cursor",
    "pymysql.connections.Connection": "dbapi.Connection",
    "pymysql.cursors.Cursor": "dbapi.Cursor",
    "pymongo.mongo_client.MongoClient": "pymongo.MongoClient",
    "pymongo.database.Database": "pymongo.database.Database",
    "pymongo.collection.Collection": "pymongo.collection.Collection",
    "redis.client.Redis": "redis.Redis",
    "redis.client.StrictRedis": "redis.Redis",
    "redis.StrictRedis": "redis.Redis",
    "redis.client.Redis.from_url": "redis.Redis.from_url",
    "redis.StrictRedis.from_url": "redis.Redis.from_url",
    "boto3.Session": "boto3.session.Session",
    "sqlalchemy.engine.create_engine": "sqlalchemy.create_engine",
    "sqlmodel.create_engine": "sqlalchemy.create_engine",
    "sqlalchemy.engine.base.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.engine.Connection",
    "sqlalchemy.Connection": "sqlalchemy.engine.Connection",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.scoping.scoped_session": "sqlalchemy.orm.scoped_session",
    "sqlalchemy.orm.query.Query": "sqlalchemy.orm.Query",
    "sqlmodel.Session": "sqlalchemy.orm.Session",
    "sqlmodel.orm.session.Session": "sqlalchemy.orm.Session",
    "passlib.context.CryptContext": "passlib.context.CryptContext",
    "argon2.PasswordHasher": "argon2.PasswordHasher",
    "argon2._password_hasher.PasswordHasher": "argon2.PasswordHasher",
    "PIL.Image.Image": "PIL.Image.Image",
}
