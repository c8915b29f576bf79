import { createRouter, createWebHistory } from 'vue-router'
import { boot } from './lib/boot'
import { session, isSignedIn, isSecretary } from './lib/session'
import Home from './views/Home.vue'
import Login from './views/Login.vue'

const routes = [
  { path: '/login', component: Login, meta: { public: true, title: '登录', h1: true } },
  { path: '/password', component: () => import('./views/ChangePassword.vue'), meta: { title: '修改密码', allowMustChange: true } },
  { path: '/', component: Home, meta: { tab: 'home', title: '亮诺', h1: true } },
  { path: '/pledges', component: () => import('./views/PledgeList.vue'), meta: { title: '承诺' } },
  { path: '/pledges/new', component: () => import('./views/PledgeForm.vue'), meta: { title: '起草承诺' } },
  { path: '/pledges/:id(\\d+)', component: () => import('./views/PledgeDetail.vue'), meta: { title: '承诺详情', h1: true } },
  { path: '/pledges/:id(\\d+)/edit', component: () => import('./views/PledgeForm.vue'), meta: { title: '修改草稿' } },
  { path: '/pledges/:id(\\d+)/progress', component: () => import('./views/ProgressForm.vue'), meta: { title: '报告进展' } },
  { path: '/review', component: () => import('./views/ReviewQueue.vue'), meta: { tab: 'review', title: '审核', secretary: true } },
  { path: '/members', component: () => import('./views/Members.vue'), meta: { title: '党员名册', secretary: true } },
  { path: '/members/new', component: () => import('./views/MemberEdit.vue'), meta: { title: '登记党员', secretary: true } },
  { path: '/members/:id(\\d+)', component: () => import('./views/MemberEdit.vue'), meta: { title: '党员信息', secretary: true } },
  { path: '/members/:id(\\d+)/registration', component: () => import('./views/MemberRegistration.vue'), meta: { title: '双报到', secretary: true } },
  { path: '/import', component: () => import('./views/Import.vue'), meta: { title: '导入党员名册', secretary: true } },
  { path: '/dashboard', component: () => import('./views/Dashboard.vue'), meta: { title: '统计分析', secretary: true } },
  { path: '/boards', component: () => import('./views/Boards.vue'), meta: { title: '公示牌与二维码', secretary: true } },
  { path: '/moderation', component: () => import('./views/Moderation.vue'), meta: { title: '群众意见审核', secretary: true } },
  { path: '/my-board', component: () => import('./views/MyBoard.vue'), meta: { title: '我的公示牌' } },
  { path: '/group', component: () => import('./views/GroupStatus.vue'), meta: { title: '党小组情况' } },
  { path: '/coverage', component: () => import('./views/Coverage.vue'), meta: { title: '承诺覆盖' } },
  { path: '/posts', component: () => import('./views/Posts.vue'), meta: { title: '岗位管理', secretary: true } },
  { path: '/documents', component: () => import('./views/Documents.vue'), meta: { title: '承诺书', secretary: true } },
  { path: '/documents/:member(\\d+)/:year(\\d{4})', component: () => import('./views/PledgeDocument.vue'), meta: { title: '承诺书' } },
  { path: '/flags', component: () => import('./views/Flags.vue'), meta: { title: '监督提请' } },
  { path: '/registrations', component: () => import('./views/Registration.vue'), meta: { title: '双报到' } },
  { path: '/pairings', component: () => import('./views/Pairings.vue'), meta: { title: '结对帮扶' } },
  { path: '/org', component: () => import('./views/OrgTree.vue'), meta: { title: '组织架构' } },
  { path: '/history/:kind(members|accounts|grants|units|boards|rating-policies)/:id(\\d+)', component: () => import('./views/History.vue'), meta: { title: '变更记录' } },
  { path: '/notifications', component: () => import('./views/Notifications.vue'), meta: { tab: 'notifications', title: '消息' } },
  { path: '/outbox', component: () => import('./views/Outbox.vue'), meta: { title: '待发送' } },
  { path: '/me', component: () => import('./views/Me.vue'), meta: { tab: 'me', title: '我的' } },
  // 星级评定 (ratings): members, secretaries (meta.secretary) and the committee (committeeOnly)
  ...(() => {
    const v = (name) => () => import(`./views/ratings/${name}.vue`)
    const committeeOnly = () =>
      (session.me?.grants || []).some((g) => g.role === 'committee_admin' && !g.revoked_at) || '/ratings'
    return [
      { path: '/ratings', component: v('RatingsHub'), meta: { title: '星级评定' } },
      { path: '/ratings/mine', component: v('MyStars'), meta: { title: '我的星级' } },
      { path: '/ratings/new', component: v('PeriodCreate'), meta: { title: '新建评定周期' }, beforeEnter: committeeOnly },
      { path: '/ratings/policy', component: v('PolicyEdit'), meta: { title: '评定规则' }, beforeEnter: committeeOnly },
      { path: '/ratings/honours', component: v('HonoursPick'), meta: { title: '十佳评选' }, beforeEnter: committeeOnly },
      { path: '/ratings/nominate/:branchId(\\d+)', component: v('HonoursNominate'), meta: { title: '推荐十佳承诺', secretary: true } },
      { path: '/ratings/:id(\\d+)/self', component: v('SelfStatement'), meta: { title: '自评' } },
      { path: '/ratings/:id(\\d+)/review', component: v('PeerReview'), meta: { title: '党员互评' } },
      { path: '/ratings/:id(\\d+)/branch/:branchId(\\d+)', component: v('BranchOverview'), meta: { title: '评定进展', secretary: true } },
      { path: '/ratings/:id(\\d+)/assess/:branchId(\\d+)?', component: v('AssessmentScoring'), meta: { title: '组织考评', secretary: true } },
      { path: '/ratings/:id(\\d+)/results/:branchId(\\d+)?', component: v('ResultsApproval'), meta: { title: '审定星级', secretary: true } },
      { path: '/ratings/:id(\\d+)/manage', component: v('PeriodManage'), meta: { title: '周期管理' }, beforeEnter: committeeOnly },
    ]
  })(),
  // 党员群众代表测评 and 季度自评 (appraisal): the branch's secretary and the committee
  { path: '/appraisal/panel/:branchId(\\d+)', component: () => import('./views/appraisal/AppraisalPanel.vue'), meta: { title: '党员群众代表测评', secretary: true } },
  { path: '/appraisal/self/:branchId(\\d+)', component: () => import('./views/appraisal/AppraisalSelf.vue'), meta: { title: '季度自评', secretary: true } },
  { path: '/appraisal/committee', component: () => import('./views/appraisal/AppraisalCommittee.vue'), meta: { title: '代表测评与季度自评', secretary: true } },
  // 述职评议 (appraisal): secretaries submit their report, the committee runs rounds and scores
  // 党支部分类（五好）、整顿方案、比学赶超排行榜
  { path: '/appraisal/tiers', component: () => import('./views/appraisal/Tiers.vue'), meta: { title: '党支部分类', secretary: true } },
  { path: '/appraisal/tiers/:id(\\d+)', component: () => import('./views/appraisal/TiersDetail.vue'), meta: { title: '整顿方案', secretary: true } },
  { path: '/appraisal/ranking', component: () => import('./views/appraisal/Ranking.vue'), meta: { title: '比学赶超排行榜', secretary: true } },
  { path: '/appraisal/debrief', component: () => import('./views/appraisal/DebriefRounds.vue'), meta: { title: '述职评议', secretary: true } },
  { path: '/appraisal/debrief/:id(\\d+)', component: () => import('./views/appraisal/DebriefRound.vue'), meta: { title: '述职评议管理', secretary: true } },
  { path: '/appraisal/debrief/reports/:id(\\d+)', component: () => import('./views/appraisal/DebriefReport.vue'), meta: { title: '述职报告', secretary: true } },
  { path: '/appraisal/debrief/reports/:id(\\d+)/score', component: () => import('./views/appraisal/DebriefScore.vue'), meta: { title: '述职评议打分', secretary: true } },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (_to, _from, saved) => saved || { top: 0 },
})

router.beforeEach(async (to) => {
  await boot()
  if (to.meta.public) return isSignedIn.value && to.path === '/login' ? '/' : true
  if (!isSignedIn.value) return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (session.mustChangePassword && !to.meta.allowMustChange) return '/password'
  if (to.meta.secretary && !isSecretary.value) return '/'
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title && to.meta.title !== '亮诺' ? `${to.meta.title} · 亮诺` : '亮诺'
})

// a lazily loaded screen that fails to load (deploy changed the file names, or offline without
// a service worker): reload once to get the new shell
router.onError((err, to) => {
  if (/Failed to fetch dynamically imported module|Importing a module script failed|error loading dynamically/i.test(String(err?.message))) {
    if (navigator.onLine && !sessionStorage.getItem('ln.reloaded')) {
      sessionStorage.setItem('ln.reloaded', '1')
      location.assign(to.fullPath)
    }
  }
})
