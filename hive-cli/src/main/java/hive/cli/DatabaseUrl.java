package hive.cli;

import hive.store.postgres.PostgresUrl;
import java.nio.file.Path;

/**
 * The {@code --db URL} of the commands that open a database: {@code sqlite:PATH}, or a PostgreSQL
 * URL ({@code postgresql://user:password@host:port/database} or {@code jdbc:postgresql://...}).
 */
sealed interface DatabaseUrl {

    /** A SQLite file: one process at a time. */
    record Sqlite(Path file) implements DatabaseUrl {
    }

    /** A PostgreSQL database: any number of server nodes at once. */
    record Postgres(PostgresUrl url) implements DatabaseUrl {
    }

    /** The database {@code url} names; {@link IllegalArgumentException} saying what is wrong otherwise. */
    static DatabaseUrl parse(String url) {
        if (url.startsWith("sqlite:")) {
            String path = url.substring("sqlite:".length());
            if (path.isBlank()) {
                throw new IllegalArgumentException("--db sqlite: needs a file path, e.g. sqlite:.hive/hive.db");
            }
            return new Sqlite(Path.of(path));
        }
        if (PostgresUrl.matches(url)) {
            return new Postgres(PostgresUrl.parse(url));
        }
        throw new IllegalArgumentException("--db must be sqlite:PATH or a PostgreSQL URL"
                + " (postgresql://user:password@host:port/database), got '" + url + "'");
    }

    /** The SQLite file a URL names; {@link IllegalArgumentException} for anything else. */
    static Path sqliteFile(String url, String command) {
        return switch (parse(url)) {
            case Sqlite sqlite -> sqlite.file();
            case Postgres postgres -> throw new IllegalArgumentException(command + " keeps its state in a SQLite"
                    + " file (--db sqlite:PATH): it is one process on one machine. To share PostgreSQL, run"
                    + " `hive server --db " + postgres.url().display().replaceFirst(" as .*", "")
                    + "` on each node and `hive agent --server URL` as the workers");
        };
    }
}
