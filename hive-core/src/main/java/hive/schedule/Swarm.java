package hive.schedule;

import java.time.Instant;

/** A swarm as the API shows it (API.md, "Resources"): a snapshot. */
public record Swarm(
        String id,
        String name,
        String goal,
        String workspace,
        SwarmStatus status,
        Instant createdAt,
        int taskCount) {
}
