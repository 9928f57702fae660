package hive.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link ProcessGroup.ProcTable}: whether a process group has a member left, read from /proc. */
class ProcTableTest {

    @Test
    void findsALiveGroupWhetherItReadsEveryProcessOrOnlyTheNewerOnes() throws Exception {
        assumeTrue(ProcessGroup.ProcTable.AVAILABLE && Files.isExecutable(Path.of("/usr/bin/setsid")),
                "Linux /proc and setsid");
        // setsid makes the shell a group leader; its child sleep is the member left when it exits
        Process shell = new ProcessBuilder("/usr/bin/setsid", "sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!").start();
        long child = Long.parseLong(new String(shell.getInputStream().readAllBytes()).trim());
        assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long group = shell.pid();
        try {
            assertThat(ProcessGroup.ProcTable.anyInGroup(group, true)).as("newer pids only").isTrue();
            assertThat(ProcessGroup.ProcTable.anyInGroup(group, false)).as("every pid").isTrue();
        } finally {
            ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ProcessGroup.ProcTable.anyInGroup(group, false) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(ProcessGroup.ProcTable.anyInGroup(group, false)).as("the killed member is gone").isFalse();
        assertThat(ProcessGroup.ProcTable.anyInGroup(group, true)).isFalse();
    }
}
