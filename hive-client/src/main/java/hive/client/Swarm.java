package hive.client;

import java.time.Instant;
import java.util.List;

/**
 * A swarm as the API shows it (API.md "Resources"): a snapshot. {@code tasks} holds its tasks
 * when the answer carries them ({@link HiveClient#createSwarm}, {@link HiveClient#swarm}) and is
 * empty otherwise (lists, cancel, pause, resume): ask {@link HiveClient#tasks} for them.
 *
 * @param workspace the namespace of its file locks
 * @param taskCount how many tasks it has, whether or not {@code tasks} is filled
 */
public record Swarm(
        String id,
        String name,
        String goal,
        String workspace,
        SwarmStatus status,
        Instant createdAt,
        int taskCount,
        List<Task> tasks) {

    public Swarm {
        tasks = Wire.list(tasks);
    }

    /** The task {@code taskId} of {@link #tasks()}, if the answer carried it. */
    public java.util.Optional<Task> task(String taskId) {
        return tasks.stream().filter(t -> t.id().equals(taskId)).findFirst();
    }
}
