package hive.cli;

import java.nio.file.Path;

/** The {@code --db URL} of the commands that open a database: {@code sqlite:PATH} for now. */
final class DatabaseUrl {

    private DatabaseUrl() {}

    /** The SQLite file a URL names; {@link IllegalArgumentException} saying what is wrong otherwise. */
    static Path sqliteFile(String url) {
        if (url.startsWith("sqlite:")) {
            String path = url.substring("sqlite:".length());
            if (path.isBlank()) {
                throw new IllegalArgumentException("--db sqlite: needs a file path, e.g. sqlite:.hive/hive.db");
            }
            return Path.of(path);
        }
        if (url.startsWith("postgresql:") || url.startsWith("postgres:") || url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("PostgreSQL is not available in this version yet: use --db sqlite:PATH");
        }
        throw new IllegalArgumentException("--db must be sqlite:PATH or a PostgreSQL URL, got '" + url + "'");
    }
}
