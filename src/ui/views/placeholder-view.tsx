import React from 'react';
import {Box, Text} from 'ink';

/** A view whose feature has not been wired in yet. */
export function PlaceholderView({title, height}: {readonly title: string; readonly height: number}) {
  return (
    <Box flexDirection="column" height={height}>
      <Text color="gray">{title}: nothing to show yet.</Text>
    </Box>
  );
}
