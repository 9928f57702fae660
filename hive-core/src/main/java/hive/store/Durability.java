package hive.store;

/**
 * How hard a commit is pushed to disk before it is acknowledged.
 * <ul>
 * <li>{@link #NORMAL}: a committed batch survives a crash of the process (SQLite: WAL with
 *     {@code synchronous=NORMAL}); the last batches may be lost if the machine loses power.</li>
 * <li>{@link #STRICT}: every batch is fsynced before any of its operations is acknowledged
 *     ({@code synchronous=FULL}); group commit keeps this affordable.</li>
 * </ul>
 */
public enum Durability {
    NORMAL,
    STRICT
}
