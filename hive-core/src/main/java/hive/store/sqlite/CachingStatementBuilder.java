package hive.store.sqlite;

import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.statement.DefaultStatementBuilder;
import org.jdbi.v3.core.statement.StatementBuilder;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Keeps a handle's prepared statements open for reuse, keyed by their SQL, so that the writer's hot
 * path does not compile the same SQL again for every operation (SQLite compiles on prepare).
 * One instance per connection; not thread-safe, like the connection it serves. Closed with it.
 */
final class CachingStatementBuilder implements StatementBuilder {

    private final StatementBuilder delegate = new DefaultStatementBuilder();
    private final Map<String, PreparedStatement> cache = new HashMap<>();
    private final Set<Statement> cached = Collections.newSetFromMap(new IdentityHashMap<>());

    @Override
    public Statement create(Connection conn, StatementContext ctx) throws SQLException {
        return delegate.create(conn, ctx);
    }

    @Override
    public PreparedStatement create(Connection conn, String sql, StatementContext ctx) throws SQLException {
        if (ctx.isReturningGeneratedKeys()) {
            return delegate.create(conn, sql, ctx);
        }
        PreparedStatement hit = cache.get(sql);
        if (hit != null && !hit.isClosed()) {
            return hit;
        }
        PreparedStatement fresh = delegate.create(conn, sql, ctx);
        PreparedStatement replaced = cache.put(sql, fresh);
        if (replaced != null) {
            cached.remove(replaced);
        }
        cached.add(fresh);
        return fresh;
    }

    @Override
    public CallableStatement createCall(Connection conn, String sql, StatementContext ctx) throws SQLException {
        return delegate.createCall(conn, sql, ctx);
    }

    @Override
    public void close(Connection conn, String sql, Statement stmt) throws SQLException {
        // JDBI passes the statement's SQL as written (named parameters), not as prepared: go by identity.
        if (!cached.contains(stmt)) {
            stmt.close();
        }
    }

    @Override
    public void close(Connection conn) {
        for (PreparedStatement stmt : cache.values()) {
            try {
                stmt.close();
            } catch (SQLException ignored) {
                // the connection is closing; its statements go with it
            }
        }
        cache.clear();
        cached.clear();
    }
}
