package hive.cli.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The end of an attempt's log file as text: its last bytes, read from the file once the attempt
 * is over, so output of any length costs a fixed amount of memory.
 */
final class LogTail {

    /** Put before a tail that does not start at the beginning of the output. */
    static final String CUT_MARK = "…";

    private LogTail() {}

    /**
     * At most the last {@code bytes} bytes of the file, decoded as UTF-8 with malformed bytes
     * replaced. When the file is longer, the first bytes that continue a character cut in two are
     * dropped too, and the text starts with {@link #CUT_MARK}.
     */
    static String read(Path file, int bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long from = Math.max(0, size - bytes);
            ByteBuffer buffer = ByteBuffer.allocate((int) (size - from));
            int read;
            do {
                read = channel.read(buffer, from + buffer.position());
            } while (read >= 0 && buffer.hasRemaining());
            byte[] kept = buffer.array();
            int length = buffer.position();
            if (from == 0) {
                return new String(kept, 0, length, StandardCharsets.UTF_8);
            }
            int start = 0;
            while (start < Math.min(3, length) && (kept[start] & 0xC0) == 0x80) {
                start++;
            }
            return CUT_MARK + new String(kept, start, length - start, StandardCharsets.UTF_8);
        }
    }
}
