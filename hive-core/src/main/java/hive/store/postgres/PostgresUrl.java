package hive.store.postgres;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * Where a PostgreSQL database is: {@code postgresql://user:password@host:port/database?params}
 * (also {@code postgres://}; the port defaults to 5432, parameters are the JDBC driver's) or a
 * {@code jdbc:postgresql://...} URL as the driver takes it.
 *
 * @param jdbcUrl  the driver's URL, without the user and password of the short form
 * @param user     null when not given (the driver's default, or a {@code user} parameter)
 * @param password null when not given
 */
public record PostgresUrl(String jdbcUrl, String user, String password) {

    /** Whether {@code url} names a PostgreSQL database (in either form). */
    public static boolean matches(String url) {
        return url.startsWith("postgresql://") || url.startsWith("postgres://") || url.startsWith("jdbc:postgresql:");
    }

    /** {@link IllegalArgumentException} saying what is wrong with a URL that is not one. */
    public static PostgresUrl parse(String url) {
        if (url.startsWith("jdbc:postgresql:")) {
            return new PostgresUrl(url, null, null);
        }
        if (!matches(url)) {
            throw new IllegalArgumentException("not a PostgreSQL URL: '" + url
                    + "' (expected postgresql://user:password@host:port/database or jdbc:postgresql://...)");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid PostgreSQL URL: " + e.getMessage(), e);
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("the PostgreSQL URL names no host: '" + redact(url) + "'");
        }
        String database = uri.getRawPath() == null ? "" : uri.getRawPath().replaceFirst("^/", "");
        if (database.isEmpty()) {
            throw new IllegalArgumentException("the PostgreSQL URL names no database: '" + redact(url)
                    + "' (add /DATABASE after the host)");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length > 1 ? decode(parts[1]) : null;
        }
        String host = uri.getHost().contains(":") ? "[" + uri.getHost() + "]" : uri.getHost();
        String jdbc = "jdbc:postgresql://" + host + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort()) + "/" + database
                + (uri.getRawQuery() != null ? "?" + uri.getRawQuery() : "");
        return new PostgresUrl(jdbc, user, password);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static String redact(String url) {
        return url.replaceFirst("://([^:@/]*):[^@/]*@", "://$1:***@");
    }

    /** The URL to show in logs and errors: never the password. */
    public String display() {
        String shown = redact(jdbcUrl).replaceAll("(?i)(password=)[^&]*", "$1***");
        return user == null ? shown : shown + " as " + user;
    }

    /** The user and password as the driver takes them. */
    public Properties properties() {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return p;
    }

    @Override
    public String toString() {
        return display();
    }
}
