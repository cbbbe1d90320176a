import { defineConfig } from 'vitest/config';
import { VitePWA } from 'vite-plugin-pwa';

// The build id lets a redeploy be told apart even when no source changed (tests deploy twice).
const buildId = process.env.TUNGNHA_BUILD_ID ?? new Date().toISOString();

export default defineConfig({
  define: { __BUILD_ID__: JSON.stringify(buildId) },
  build: { target: 'es2020', sourcemap: false, modulePreload: { polyfill: false } },
  plugins: [
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icon.svg', 'icon-192.png', 'icon-512.png', 'apple-touch-icon.png'],
      manifest: {
        name: 'Từng Nhà',
        short_name: 'Từng Nhà',
        description: 'Ghi lượt hướng dẫn 5 kỹ năng số cơ bản cho từng hộ gia đình — Tổ Công nghệ số cộng đồng',
        lang: 'vi',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        theme_color: '#b3261e',
        background_color: '#ffffff',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        // The officials' dashboard and administration chunks are fetched online when opened, not
        // precached for volunteers.
        globIgnores: ['**/dashboard-*.js', '**/admin-*.js', '**/admin-*.css'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//],
        // /api is never cached by the service worker. The dashboard chunk is cached the first time an
        // official opens it, so it reopens offline; volunteers never download it.
        runtimeCaching: [
          {
            urlPattern: ({ url }) => url.pathname.startsWith('/assets/dashboard-') || url.pathname.startsWith('/assets/admin-'),
            handler: 'CacheFirst',
            options: { cacheName: 'tungnha-dashboard', expiration: { maxEntries: 8 } },
          },
        ],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: false,
      },
    }),
  ],
  test: {
    environment: 'node',
    include: ['tests/unit/**/*.test.ts'],
    setupFiles: ['tests/unit/setup.ts'],
  },
});
