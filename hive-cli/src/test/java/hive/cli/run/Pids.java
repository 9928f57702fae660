package hive.cli.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** For tests that check which processes still run: read from {@code /proc} (Linux). */
public final class Pids {

    private Pids() {}

    /**
     * Whether the process exists and is not a zombie: an ended process not yet reaped by its
     * parent (an orphan waits for PID 1) runs nothing, and counts as ended.
     */
    public static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (NoSuchFileException gone) {
            return false;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
