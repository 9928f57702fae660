package hive.store.sqlite;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import hive.events.Event;
import hive.store.Durability;
import hive.store.GroupCommitWriter;
import hive.store.Store;
import hive.store.StoreFailure;
import hive.store.StoreReader;
import hive.store.StoreTx;
import hive.store.WriterSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded store: one SQLite file in WAL mode, written by one process.
 *
 * <p>Writes: through the {@link GroupCommitWriter}, operations run, one at a time, against an
 * in-memory copy of the store ({@link Mirror}: the ready queues, timelines and dependency lists
 * the scheduler reads, and the lock waiters); the batch's leader then writes every row the batch
 * changed and every event it appended in one SQLite transaction, and only then are the batch's
 * operations acknowledged. A failed commit makes the copy reload from the file. Reads ({@link #read}) run in SQL on a small
 * HikariCP pool of read connections, each in one WAL snapshot, concurrently with the writer.
 *
 * <p>A crash of the process loses nothing acknowledged: on open the copy is rebuilt from the
 * file. With {@link Durability#STRICT} every commit is also fsynced ({@code synchronous=FULL}).
 * A lock file ({@code FILE.lock}) keeps a second process from writing the same file. Schema
 * migrations (Flyway, {@code db/sqlite}) run on open. Thread-safe.
 */
public final class SqliteStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(SqliteStore.class);
    private static final int MAX_BATCH = 512;

    private final Path file;
    private final FileChannel lockChannel;
    private final HikariDataSource readers;
    private final Jdbi readJdbi;
    private final GroupCommitWriter writer;
    private final Checkpointer checkpointer;

    private SqliteStore(Path file, FileChannel lockChannel, HikariDataSource readers, Jdbi readJdbi,
            GroupCommitWriter writer, Checkpointer checkpointer) {
        this.file = file;
        this.lockChannel = lockChannel;
        this.readers = readers;
        this.readJdbi = readJdbi;
        this.writer = writer;
        this.checkpointer = checkpointer;
    }

    /**
     * Opens (creating when missing) the database file, migrates its schema and loads the writer's
     * copy. Fails with {@link StoreFailure} when another process has the file open for writing.
     */
    public static SqliteStore open(Path file, Durability durability) {
        Path absolute = file.toAbsolutePath();
        try {
            if (absolute.getParent() != null) {
                Files.createDirectories(absolute.getParent());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of " + absolute, e);
        }
        FileChannel lock = lock(absolute);
        HikariDataSource readers = null;
        try {
            String url = "jdbc:sqlite:" + absolute;
            SQLiteDataSource writeSource = new SQLiteDataSource(config(durability, true));
            writeSource.setUrl(url);
            Flyway.configure().dataSource(writeSource).locations("classpath:db/sqlite").load().migrate();

            Jdbi writeJdbi = Jdbi.create(writeSource);
            Handle writeHandle = writeJdbi.open();
            HikariConfig pool = new HikariConfig();
            pool.setPoolName("hive-sqlite-read");
            SQLiteDataSource readSource = new SQLiteDataSource(config(durability, false));
            readSource.setUrl(url);
            pool.setDataSource(readSource);
            pool.setMaximumPoolSize(4);
            pool.setMinimumIdle(1);
            readers = new HikariDataSource(pool);
            Jdbi readJdbi = Jdbi.create(readers);

            Mirror mirror = new Mirror((swarmId, after, limit) -> readJdbi.withHandle(
                    h -> new SqliteReader(h).events(swarmId, after, limit)));
            long started = System.nanoTime();
            mirror.load(writeHandle);
            long loadMs = (System.nanoTime() - started) / 1_000_000;

            GroupCommitWriter writer = new GroupCommitWriter(new Session(writeHandle, mirror), MAX_BATCH);
            log.atInfo().setMessage("store opened")
                    .addKeyValue("file", absolute)
                    .addKeyValue("durability", durability.name().toLowerCase())
                    .addKeyValue("task_count", mirror.taskCount())
                    .addKeyValue("load_ms", loadMs)
                    .log();
            Checkpointer checkpointer = new Checkpointer(readJdbi, absolute);
            return new SqliteStore(absolute, lock, readers, readJdbi, writer, checkpointer);
        } catch (RuntimeException e) {
            if (readers != null) {
                readers.close();
            }
            closeQuietly(lock);
            throw e;
        }
    }

    /** Takes {@code FILE.lock} for as long as the store is open; writes this process's id into it. */
    private static FileChannel lock(Path file) {
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            FileLock held = channel.tryLock();
            if (held == null) {
                String owner = Files.readString(lockFile).trim();
                throw new StoreFailure(file + " is in use by another HiveMind process"
                        + (owner.isEmpty() ? "" : " (pid " + owner + ")")
                        + "; stop it, or point this one at another database with --db", null);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid())
                    .getBytes(StandardCharsets.US_ASCII)));
            return channel;
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new StoreFailure(file + " is already open in this process", e);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new StoreFailure("cannot lock " + lockFile + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }

    private static SQLiteConfig config(Durability durability, boolean writer) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(durability == Durability.STRICT
                ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(10_000);
        config.setTempStore(SQLiteConfig.TempStore.MEMORY);
        config.setCacheSize(-65_536);
        if (writer) {
            config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
            // Checkpoints run on their own thread (see Checkpointer), not inside the commits that
            // happen to fill the log: that took three quarters of a commit's time here.
            config.setPragma(SQLiteConfig.Pragma.WAL_AUTOCHECKPOINT, "0");
        }
        return config;
    }

    public Path file() {
        return file;
    }

    @Override
    public <T> T write(Function<StoreTx, T> operation) {
        return writer.submit(operation);
    }

    @Override
    public <T> T writeApplied(Function<StoreTx, T> operation) {
        return writer.submitApplied(operation);
    }

    @Override
    public <T> T read(Function<StoreReader, T> query) {
        try (Handle handle = readJdbi.open()) {
            return handle.inTransaction(h -> query.apply(new SqliteReader(h)));
        }
    }

    @Override
    public void onCommit(Consumer<List<Event>> listener) {
        writer.onCommit(listener);
    }

    @Override
    public void close() {
        writer.close();
        checkpointer.close();
        readers.close();
        closeQuietly(lockChannel);
        log.atInfo().setMessage("store closed").addKeyValue("file", file).log();
    }

    /**
     * The writer's side: operations run against the copy; a sealed batch is written in one SQLite
     * transaction, begun and committed with plain statements (the driver's auto-commit switching
     * would cost two more statements a commit). Savepoints are marks in the copy's undo log.
     */
    private static final class Session implements WriterSession {
        private final Handle handle;
        private final Mirror mirror;
        private final SqliteWrites writes;
        private final Deque<Mirror.Mark> savepoints = new ArrayDeque<>();

        Session(Handle handle, Mirror mirror) {
            this.handle = handle;
            this.mirror = mirror;
            this.writes = new SqliteWrites(handle.getConnection());
        }

        @Override
        public StoreTx tx() {
            return mirror;
        }

        @Override
        public void savepoint() {
            savepoints.push(mirror.mark());
        }

        @Override
        public void rollbackToSavepoint() {
            mirror.undoTo(savepoints.pop());
        }

        @Override
        public void releaseSavepoint() {
            savepoints.pop();
        }

        @Override
        public ChangeSet seal() {
            return mirror.seal();
        }

        @Override
        public void commit(ChangeSet changes) {
            try {
                writes.begin();
                ((Mirror.Changes) changes).writeTo(writes);
                writes.commit();
            } catch (RuntimeException e) {
                try {
                    writes.rollback();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        @Override
        public void recover() {
            savepoints.clear();
            mirror.load(handle);
        }

        @Override
        public void close() {
            writes.close();
            handle.close();
        }
    }
}
