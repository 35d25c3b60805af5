import {useEffect, useState} from 'react';
import {useStdout} from 'ink';

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/**
 * Columns and rows of the terminal Ink draws on (not process.stdout, so tests can choose), updated on
 * resize; 80×24 when the stream does not say (ink-testing-library's fake stdout has no rows).
 */
export function useTerminalSize(fallback: TerminalSize = {columns: 80, rows: 24}): TerminalSize {
  const {stdout} = useStdout();
  const read = (): TerminalSize => ({
    columns: stdout.columns > 0 ? stdout.columns : fallback.columns,
    rows: stdout.rows > 0 ? stdout.rows : fallback.rows,
  });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}
