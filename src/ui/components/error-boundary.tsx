import React from 'react';
import {Text} from 'ink';
import {toneColor} from '../theme.js';

interface State {
  readonly error: Error | null;
}

/**
 * Keeps a rendering bug inside one panel: the panel shows what failed and the rest of the dashboard,
 * and the OTA server under it, keep running.
 */
export class PanelErrorBoundary extends React.Component<{readonly name: string; readonly children: React.ReactNode; readonly onError?: (error: Error) => void}, State> {
  override state: State = {error: null};

  static getDerivedStateFromError(error: Error): State {
    return {error};
  }

  override componentDidCatch(error: Error): void {
    this.props.onError?.(error);
  }

  override render(): React.ReactNode {
    if (this.state.error) {
      return (
        <Text color={toneColor('error')}>
          The {this.props.name} panel failed: {this.state.error.message}. Switch views to retry; details are in the log.
        </Text>
      );
    }
    return this.props.children;
  }
}
